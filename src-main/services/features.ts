import { featuresInvoke } from '../../src-shared/contract/features';
import { AppError } from '../../src-shared/errors';
import { clearFeatureStore, listFeatureStore } from '../engine/feature-store';
import type { HandlersFor } from './types';

export const featuresHandlers: HandlersFor<typeof featuresInvoke> = {
  'features.list': (_args, wb) => listFeatureStore(wb.home.featureStore),
  'features.clear': (args, wb) => {
    const all = args.all === true;
    if (all === (args.key !== undefined)) throw new AppError('BAD_ARGS', 'features.clear takes either a key or all: true (fer features clear KEY | --all).');
    return { cleared: clearFeatureStore(wb.home.featureStore, all ? { all: true } : { key: args.key! }) };
  },
};
