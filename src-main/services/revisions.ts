import type { revisionsInvoke } from '../../src-shared/contract/revisions';
import { addChanges, createRevision, deleteRevision, listRevisions, removeChanges, revisionDiff } from '../data/revisions';
import type { HandlersFor } from './types';

export const revisionsHandlers: HandlersFor<typeof revisionsInvoke> = {
  'revisions.create': (args, wb) => createRevision(wb, args),
  'revisions.list': (args, wb) => listRevisions(wb, args.dataset),
  'revisions.addChanges': (args, wb) => addChanges(wb, args),
  'revisions.removeChanges': (args, wb) => removeChanges(wb, args),
  'revisions.diff': (args, wb) => revisionDiff(wb, args.revision),
  'revisions.delete': (args, wb) => {
    deleteRevision(wb, args.revision);
    return { deleted: true as const };
  },
};
