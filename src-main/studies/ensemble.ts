import type { StudySummary } from '../../src-shared/contract/studies';
import { AppError } from '../../src-shared/errors';
import type { Workbench } from '../context';
import { createEnsemble } from '../evaluation/ensemble';
import { runSummary } from '../store/runs';
import { describeCell } from './plan';
import { setStudyEnsemble } from '../store/studies';
import { getStudy } from './summary';

/**
 * The study's ensemble: per cell, the seed with the best validation accuracy (chosen on the validation split the
 * members trained with, never on the split the ensemble is scored on), combined from their evaluations of the
 * study's setting by soft (or hard) voting. The paper's 75.4% is such a soft vote over its models.
 */
export function ensembleBestMembers(wb: Workbench, studyId: number, opts: { vote?: 'soft' | 'hard' | undefined; name?: string | undefined } = {}): StudySummary {
  const study = getStudy(wb.db, studyId);
  if (!study.evaluate) throw new AppError('INVALID_INPUT', `Study ${study.id} has no evaluation setting: its members' evaluations could be of any setting. Create it with one (--evaluate SPLIT).`);
  const cells = new Map<string, StudySummary['members']>();
  for (const m of study.members) {
    if (m.status !== 'completed') continue;
    const key = JSON.stringify(m.cell);
    cells.set(key, [...(cells.get(key) ?? []), m]);
  }
  const best = [...cells.values()].map((members) => {
    const scored = members.map((m) => ({ m, val: runSummary(wb, m.runId).bestValAcc ?? -1 }));
    scored.sort((a, b) => b.val - a.val || a.m.runId - b.m.runId);
    return scored[0]!.m;
  });
  const unevaluated = best.filter((m) => !m.evaluation);
  if (unevaluated.length) {
    throw new AppError('INVALID_INPUT', `The best member of ${unevaluated.map((m) => `${describeCell(m.cell)} (run ${m.runId})`).join(', ')} has no evaluation on ${study.evaluate.split} yet.`);
  }
  if (best.length < 2) throw new AppError('INVALID_INPUT', `An ensemble needs at least two cells with a completed member; study ${study.id} has ${best.length}.`);
  const ens = createEnsemble(wb, {
    evaluationIds: best.map((m) => m.evaluation!.id),
    vote: opts.vote ?? study.ensembleVote ?? 'soft',
    name: opts.name ?? `${study.name}: best of each cell`,
  });
  setStudyEnsemble(wb.db, study.id, ens.ensemble.id);
  return getStudy(wb.db, study.id);
}

/** True when the study plans an ensemble it has not made and nothing it waits for is left: every member ended and each completed one is evaluated or failed to be. */
export function ensembleDue(study: StudySummary): boolean {
  if (!study.ensembleVote || study.ensembleId !== null || !study.evaluate) return false;
  return study.members.every((m) => m.status === 'failed' || (m.status === 'completed' && (m.evaluation !== null || m.evalError !== null)));
}
