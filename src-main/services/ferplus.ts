import { ferplusInvoke } from '../../src-shared/contract/ferplus';
import { ferPlusLayer, importFerPlus } from '../data/ferplus';
import { resolveDataset } from '../data/packed-store';
import type { HandlersFor } from './types';

export const ferplusHandlers: HandlersFor<typeof ferplusInvoke> = {
  'ferplus.import': (args, wb) => importFerPlus(wb, args.path, args.dataset),
  'ferplus.get': (args, wb) => ferPlusLayer(wb, resolveDataset(wb, args.dataset).id),
};
