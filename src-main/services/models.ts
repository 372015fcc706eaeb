import { modelsInvoke } from '../../src-shared/contract/models';
import { importExternalModel } from '../engine/external/catalog';
import { listExternalModels } from '../store/external-models';
import { appVersion } from './system';
import type { HandlersFor } from './types';

export const modelsHandlers: HandlersFor<typeof modelsInvoke> = {
  'models.import': (args, wb) => importExternalModel(wb, args, appVersion()),
  'models.list': (_args, wb) => listExternalModels(wb),
};
