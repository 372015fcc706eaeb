import { evaluationInvoke } from '../../src-shared/contract/evaluation';
import { AppError } from '../../src-shared/errors';
import type { HandlersFor } from './types';

// Placeholder until the evaluation service lands: every channel answers with a clear error.
function pending(): never {
  throw new AppError('INTERNAL', 'The evaluation service is not built yet.');
}

export const evaluationHandlers: HandlersFor<typeof evaluationInvoke> = Object.fromEntries(
  Object.keys(evaluationInvoke).map((name) => [name, pending]),
) as unknown as HandlersFor<typeof evaluationInvoke>;
