import type { labelIssuesInvoke } from '../../src-shared/contract/label-issues';
import { labelIssues } from '../evaluation/label-issues';
import type { HandlersFor } from './types';

export const labelIssuesHandlers: HandlersFor<typeof labelIssuesInvoke> = {
  'eval.labelIssues': (args, wb) => labelIssues(wb, args.evaluationId, args.limit, args.rankBy),
};
