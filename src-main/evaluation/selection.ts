import { describeSetting, withMirror, type EvalSetting, type EvaluationSummary } from '../../src-shared/contract/evaluation';
import { AppError } from '../../src-shared/errors';
import type { Split } from '../../src-shared/labels';
import type { Db } from '../store/db';
import type { ReadableDb } from '../store/readable-db';
import { memberSettings } from '../store/ensembles';
import { latestMatching } from '../store/evaluations';
import { storedRun, type StoredRun } from '../store/runs';

/** What a table or an export asks for: the split and the evaluation setting its rows must share. */
export interface SettingRequest {
  split: Split | null;
  tta: number;
  ttaFlip?: boolean | undefined;
  checkpoint: 'best' | 'last';
}

/** The full setting of a request: the mirror defaults to on once tta > 0, exactly as eval.run does. */
export function settingOf(req: SettingRequest): EvalSetting {
  const ttaFlip = withMirror(req.tta, req.ttaFlip);
  return { split: req.split, tta: req.tta, ttaFlip, totalViews: 1 + (ttaFlip ? 1 : 0) + req.tta, checkpoint: req.checkpoint };
}

export type RunRow = StoredRun;

/** The runs, in the order asked, or NOT_FOUND naming every id that does not exist. */
export function loadRuns(db: ReadableDb, runIds: readonly number[]): RunRow[] {
  const runs: RunRow[] = [];
  const missing: number[] = [];
  for (const id of runIds) {
    const r = storedRun(db, id);
    if (r) runs.push(r);
    else missing.push(id);
  }
  if (missing.length) throw new AppError('NOT_FOUND', `Run${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist.`);
  return runs;
}

/** Each run's newest evaluation of exactly the setting, or null: never one of another setting in its place. */
export function matchingEvaluations(db: Db, runs: readonly RunRow[], setting: EvalSetting): (EvaluationSummary | null)[] {
  return runs.map((r) => latestMatching(db, r.id, setting));
}

/**
 * An ensemble's evaluation has no TTA or checkpoint of its own: it carries its members'. An ensemble built from
 * evaluations of another setting would sit in the table as if it were comparable, so it is refused with why.
 */
export function checkEnsembleSetting(db: ReadableDb, ensembleId: number, setting: EvalSetting): void {
  const members = memberSettings(db, ensembleId);
  // A member that is itself an ensemble ('ensemble' checkpoint) was checked when it was tabulated on its own.
  const off = members.filter((m) => m.checkpoint !== 'ensemble' && (m.checkpoint !== setting.checkpoint || m.tta !== setting.tta || (m.flip === 1) !== setting.ttaFlip));
  if (off.length) {
    const m = off[0]!;
    const theirs = settingOf({ split: setting.split, tta: m.tta, ttaFlip: m.flip === 1, checkpoint: m.checkpoint === 'last' ? 'last' : 'best' });
    throw new AppError(
      'INVALID_INPUT',
      `Ensemble ${ensembleId} was built from evaluations of another setting (evaluation ${m.id}: ${describeSetting(theirs).replace(/^[^,]*, /, '')}), not the table's ${describeSetting(setting).replace(/^[^,]*, /, '')}.`,
    );
  }
}
