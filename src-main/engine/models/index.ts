// Importing this module registers every model: each file calls registerModel() when it loads.
import './baseline';

export { getModel, listModels, registerModel, type InputSpec, type ModelDefinition } from './registry';
