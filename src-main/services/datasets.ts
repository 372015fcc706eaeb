import { datasetsInvoke } from '../../src-shared/contract/datasets';
import { AppError } from '../../src-shared/errors';
import type { HandlersFor } from './types';

// Placeholder until the datasets service lands: every channel answers with a clear error.
function pending(): never {
  throw new AppError('INTERNAL', 'The datasets service is not built yet.');
}

export const datasetsHandlers: HandlersFor<typeof datasetsInvoke> = Object.fromEntries(
  Object.keys(datasetsInvoke).map((name) => [name, pending]),
) as unknown as HandlersFor<typeof datasetsInvoke>;
