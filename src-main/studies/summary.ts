import type { RunStatus } from '../../src-shared/contract/runs';
import type { StudyMember, StudySummary } from '../../src-shared/contract/studies';
import { settingOf } from '../evaluation/selection';
import type { Db } from '../store/db';
import { latestMatching } from '../store/evaluations';
import { studyMemberRuns, studyRecord } from '../store/studies';

/**
 * A study as the contract shows it: its stored rows (store/studies.ts) with each member's evaluation of the study's
 * setting, its training time, and how many members are in each status.
 */
export function getStudy(db: Db, studyId: number): StudySummary {
  const study = studyRecord(db, studyId);
  const { evaluate } = study;
  const members = studyMemberRuns(db, studyId).map((m): StudyMember => {
    const ev = evaluate ? latestMatching(db, m.runId, settingOf(evaluate)) : null;
    return {
      runId: m.runId,
      name: m.name,
      cell: m.cell,
      seed: m.seed,
      status: m.status,
      error: m.error,
      evaluation: ev ? { id: ev.id, accuracy: ev.accuracy } : null,
      evalError: m.evalError,
      trainSeconds: m.status === 'completed' && m.startedAt && m.finishedAt ? (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000 : null,
    };
  });
  const counts: Partial<Record<RunStatus, number>> = {};
  for (const m of members) counts[m.status] = (counts[m.status] ?? 0) + 1;
  return { ...study, members, counts };
}
