import { weightsInvoke } from '../../src-shared/contract/weights';
import { deleteWeights, importWeights, listWeights } from '../engine/weights/catalog';
import type { HandlersFor } from './types';

export const weightsHandlers: HandlersFor<typeof weightsInvoke> = {
  'weights.import': (args, wb) => importWeights(wb, args),
  'weights.list': (_args, wb) => listWeights(wb),
  'weights.delete': (args, wb) => {
    deleteWeights(wb, args.id);
    return { deleted: true };
  },
};
