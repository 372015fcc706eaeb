import type { EnsembleSummary, EvaluationSummary, InvokeParsedArgs } from '../../src-shared/contract';
import type { FoldConfig, TrainConfig } from '../../src-shared/contract/runs';
import { AppError, fieldError } from '../../src-shared/errors';
import { NUM_CLASSES } from '../../src-shared/labels';
import type { Workbench } from '../context';
import type { ReadableDb } from '../store/readable-db';
import { insertEnsemble } from '../store/ensembles';
import { requireStoredRun, runsInGroup } from '../store/runs';
import { getEnsemble } from './ensemble';
import { evaluateRun } from './run-eval';
import { loadPredictions } from '../store/evaluations';
import { splitLabels } from '../store/samples';

interface FoldRun {
  id: number;
  name: string;
  status: string;
  datasetId: number;
  trainSplit: TrainConfig['trainSplit'];
  fold: FoldConfig | null;
}

function foldRun(row: { id: number; name: string; status: string; dataset_id: number; model: string; config_json: string }): FoldRun {
  const cfg = row.model === 'external' ? {} : (JSON.parse(row.config_json) as Partial<TrainConfig>);
  return { id: row.id, name: row.name, status: row.status, datasetId: row.dataset_id, trainSplit: cfg.trainSplit ?? 'Training', fold: cfg.fold ?? null };
}

/** The K completed runs of the cross-validation `runId` belongs to (runs.create's `folds` groups them), by fold index. */
function foldGroup(db: ReadableDb, runId: number): FoldRun[] {
  const row = requireStoredRun(db, runId);
  const me = foldRun(row);
  if (!me.fold || row.group_id === null) {
    throw fieldError('INVALID_INPUT', 'runId', `run ${runId} is not one of a k-fold cross-validation's runs (queue them with \`fer train --folds K\`).`);
  }
  const { k } = me.fold;
  const siblings = runsInGroup(db, row.group_id)
    .map(foldRun)
    .filter((r) => r.fold?.k === k && r.datasetId === me.datasetId && r.trainSplit === me.trainSplit);
  const byIndex = Array.from({ length: k }, (_, i) => siblings.filter((r) => r.fold!.index === i));
  const missing = byIndex.flatMap((rs, i) => (rs.length ? [] : [i]));
  if (missing.length) throw new AppError('INVALID_INPUT', `Run ${runId}'s ${k}-fold cross-validation has no run for fold${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (deleted?): every face must be held out by one run.`);
  const twice = byIndex.flatMap((rs, i) => (rs.length > 1 ? [i] : []));
  if (twice.length) throw new AppError('INVALID_INPUT', `Run ${runId}'s cross-validation has several runs for fold ${twice.join(', ')}; each fold needs exactly one.`);
  const runs = byIndex.map((rs) => rs[0]!);
  const unfinished = runs.filter((r) => r.status !== 'completed');
  if (unfinished.length) throw new AppError('CONFLICT', `Not every fold run has completed: ${unfinished.map((r) => `run ${r.id} (fold ${r.fold!.index}) is ${r.status}`).join(', ')}.`);
  return runs;
}

/**
 * eval.outOfFold: evaluates each run of a k-fold cross-validation on exactly the faces it held out (stored as its own
 * evaluation), then stores one evaluation of the whole training split made of those predictions, each face predicted
 * by the one model that did not see it: out-of-sample probabilities for confident learning over the training split.
 * The combination is stored in one transaction (ensemble, its members, its out-of-fold mark and its evaluation).
 */
export async function evaluateOutOfFold(wb: Workbench, args: InvokeParsedArgs<'eval.outOfFold'>): Promise<EnsembleSummary> {
  const runs = foldGroup(wb.db, args.runId);
  const first = runs[0]!;
  const k = runs.length;
  const members: EvaluationSummary[] = [];
  for (const r of runs) members.push(await evaluateRun(wb, { runId: r.id, split: first.trainSplit, checkpoint: args.checkpoint, tta: 0, ttaSeed: 0, heldOut: true }));
  const preds = members.map((m) => loadPredictions(wb.db, m.id));
  const n = preds.reduce((a, p) => a + p.n, 0);
  const split = splitLabels(wb.db, first.datasetId, first.trainSplit);
  // The folds partition the split by construction (data/folds.ts); a split changed since would break that.
  const seen = new Set<number>();
  for (const p of preds) for (const id of p.sampleIds) seen.add(id);
  if (seen.size !== n || n !== split.ids.length) {
    throw new AppError('INVALID_DATA', `The held-out evaluations cover ${seen.size} faces (${n} predictions) of ${split.ids.length} in ${first.trainSplit}: the folds no longer partition the split.`);
  }
  const rows = preds.flatMap((p, m) => Array.from(p.sampleIds, (id, i) => ({ id, m, i }))).sort((a, b) => a.id - b.id);
  const probs = new Float32Array(n * NUM_CLASSES);
  const labels = new Uint8Array(n);
  rows.forEach((r, j) => {
    const p = preds[r.m]!;
    probs.set(p.probs.subarray(r.i * NUM_CLASSES, (r.i + 1) * NUM_CLASSES), j * NUM_CLASSES);
    labels[j] = p.labels[r.i]!;
  });
  const name = args.name?.trim() || `out-of-fold (${k} folds) of ${first.name.replace(/ fold \d+\/\d+$/, '')}`.slice(0, 200);
  const id = insertEnsemble(wb.db, {
    name,
    vote: 'soft',
    members: members.map((m) => ({ evaluationId: m.id, weight: 1 })),
    outOfFoldK: k,
    evaluation: {
      datasetId: first.datasetId,
      split: first.trainSplit,
      // Like every ensemble's evaluation: its setting is its members' (selection.ts reads 'ensemble' so).
      checkpoint: 'ensemble',
      tta: null,
      sampleIds: Int32Array.from(rows, (r) => r.id),
      labels,
      probs,
    },
  });
  return getEnsemble(wb, id);
}
