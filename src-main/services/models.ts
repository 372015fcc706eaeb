import { modelsInvoke } from '../../src-shared/contract/models';
import { importExternalModel, listExternalModels } from '../engine/external/catalog';
import { appVersion } from './system';
import type { HandlersFor } from './types';

export const modelsHandlers: HandlersFor<typeof modelsInvoke> = {
  'models.import': (args, wb) => importExternalModel(wb, args, appVersion()),
  'models.list': (_args, wb) => listExternalModels(wb),
};
