import { runsInvoke } from '../../src-shared/contract/runs';
import { AppError } from '../../src-shared/errors';
import type { HandlersFor } from './types';

// Placeholder until the runs service lands: every channel answers with a clear error.
function pending(): never {
  throw new AppError('INTERNAL', 'The runs service is not built yet.');
}

export const runsHandlers: HandlersFor<typeof runsInvoke> = Object.fromEntries(
  Object.keys(runsInvoke).map((name) => [name, pending]),
) as unknown as HandlersFor<typeof runsInvoke>;
