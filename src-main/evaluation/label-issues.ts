import type { EvaluationSummary } from '../../src-shared/contract/evaluation';
import type { TrainConfig } from '../../src-shared/contract/runs';
import type { CrowdRate, LabelIssueRanking, LabelIssuesReport } from '../../src-shared/contract/label-issues';
import { AppError } from '../../src-shared/errors';
import { NUM_CLASSES } from '../../src-shared/labels';
import { findLabelIssues } from '../analysis/confident-learning';
import type { Workbench } from '../context';
import { votesOf } from '../data/ferplus';
import { heldOutIds } from '../data/folds';
import { readPixelsByIds } from '../data/packed-store';
import type { Db } from '../store/db';
import type { ReadableDb } from '../store/readable-db';
import { ensembleMemberRuns, storedRun, type StoredRun } from '../store/runs';
import { crowdDisagreements, hasFerPlusLayer } from '../store/ferplus-scores';
import { getSummary, loadPredictions, outOfFoldK } from '../store/evaluations';

/** The runs whose model produced an evaluation's probabilities: the run itself, or an ensemble's members' runs. */
function producingRuns(db: ReadableDb, ev: EvaluationSummary): StoredRun[] {
  if (ev.runId !== null) {
    const run = storedRun(db, ev.runId);
    return run ? [run] : [];
  }
  return ev.ensembleId === null ? [] : ensembleMemberRuns(db, ev.ensembleId);
}

/**
 * Whether the probabilities are in-sample: a run trained on this split of this dataset has fit the very labels the
 * method checks (noise included), so it is sure of them and too few faces are flagged. A model trained elsewhere
 * is taken to have trained on a Training split: on Training that is unknown (null), on the test splits out-of-sample.
 */
function sampleOrigin(db: Db, ev: EvaluationSummary, sampleIds: ArrayLike<number>): { inSample: boolean | null; warning: string | null } {
  // An out-of-fold evaluation: every face predicted by the fold run that held it out.
  if (ev.ensembleId !== null && outOfFoldK(db, ev.ensembleId) !== null) return { inSample: false, warning: null };
  const runs = producingRuns(db, ev);
  const trainedHere = runs.filter((r) => {
    if (r.model === 'external' || r.dataset_id !== ev.datasetId) return false;
    const cfg = JSON.parse(r.config_json) as Pick<Partial<TrainConfig>, 'trainSplit' | 'fold'>;
    if ((cfg.trainSplit ?? 'Training') !== ev.split) return false;
    // A k-fold run did not train on its held-out fold: out-of-sample if every face evaluated is in that fold.
    if (!cfg.fold) return true;
    const heldOut = heldOutIds(db, ev.datasetId, ev.split, cfg.fold.k, cfg.fold.index);
    return !Array.prototype.every.call(sampleIds, (id: number) => heldOut.has(id));
  });
  const fix =
    'Use an evaluation on a split the model did not train on (PublicTest, PrivateTest), or out-of-fold probabilities: k-fold runs over Training (`fer train --folds K`), combined by `fer eval RUN --out-of-fold` into one evaluation of Training.';
  if (trainedHere.length) {
    const who = ev.runId !== null ? `run ${ev.runId} was` : `ensemble members (runs ${trainedHere.map((r) => r.id).join(', ')}) were`;
    return {
      inSample: true,
      warning: `In-sample probabilities: evaluation ${ev.id} is on ${ev.split}, the split ${who} trained on. The model has fit these labels, wrong ones included, so confident learning flags too few faces and its counts are too low. ${fix}`,
    };
  }
  if (ev.split === 'Training' && runs.some((r) => r.model === 'external')) {
    return {
      inSample: null,
      warning: `Possibly in-sample probabilities: evaluation ${ev.id} is on Training and its model was trained elsewhere, perhaps on these very faces; if so, too few faces are flagged. ${fix}`,
    };
  }
  return { inSample: false, warning: null };
}

/** FER+ disagreement with the label among the flagged faces and among the rest: the evidence the ranking means something. */
function crowdEvidence(db: ReadableDb, ev: EvaluationSummary, flagged: Set<number>): LabelIssuesReport['ferplus'] {
  if (!hasFerPlusLayer(db, ev.datasetId)) return null;
  const rows = crowdDisagreements(db, ev.id);
  const rate = (): CrowdRate => ({ withMajority: 0, disagree: 0 });
  const out = { flagged: rate(), unflagged: rate() };
  for (const r of rows) {
    const bucket = flagged.has(r.id) ? out.flagged : out.unflagged;
    bucket.withMajority++;
    bucket.disagree += r.differs;
  }
  return out;
}

/** eval.labelIssues: the evaluation's faces ranked by how likely their label is wrong, with the method's tables. */
export function labelIssues(wb: Workbench, evaluationId: number, limit: number, rankBy: LabelIssueRanking): LabelIssuesReport {
  const evaluation = getSummary(wb.db, evaluationId);
  const p = loadPredictions(wb.db, evaluationId);
  let cl: ReturnType<typeof findLabelIssues>;
  try {
    cl = findLabelIssues(p.probs, p.labels, NUM_CLASSES, rankBy);
  } catch (err) {
    // insertEvaluation stores only finite probabilities, so this is a damaged row, not bad input.
    if (err instanceof RangeError) throw new AppError('DB_CORRUPT', `Evaluation ${evaluationId}'s stored probabilities are not usable: ${err.message}.`);
    throw err;
  }
  const top = cl.issues.slice(0, limit);
  const ids = top.map((x) => p.sampleIds[x.index]!);
  const votes = votesOf(wb, ids);
  const items = top.map((x, k) => {
    const v = votes.get(ids[k]!);
    return {
      sampleId: ids[k]!,
      givenLabel: x.given,
      suggestedLabel: x.suggested,
      selfConfidence: x.selfConfidence,
      margin: x.margin,
      probs: Array.from(p.probs.subarray(x.index * NUM_CLASSES, (x.index + 1) * NUM_CLASSES)),
      votes: v?.votes ?? null,
      crowdMajority: v?.majority ?? null,
    };
  });
  const pixels = readPixelsByIds(wb, ids);
  const flaggedIds = new Set(cl.issues.map((x) => p.sampleIds[x.index]!));
  return {
    evaluation,
    rankBy,
    ...sampleOrigin(wb.db, evaluation, p.sampleIds),
    labelCounts: cl.labelCounts,
    thresholds: cl.thresholds,
    confidentJoint: cl.confidentJoint,
    issuesPerCell: cl.issuesPerCell,
    estimatedIssues: cl.estimatedIssues,
    flagged: cl.issues.length,
    items,
    pixelsBase64: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64'),
    ferplus: crowdEvidence(wb.db, evaluation, flaggedIds),
  };
}

