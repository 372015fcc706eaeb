// Importing this module registers every model: each file calls registerModel() when it loads.
import './baseline';
import './resnet50';
import './senet50';
import './vgg16';
import './faceres';
import './mobilefacenet';

export { getModel, xnnpackPoolFor, type InputSpec } from './registry';
