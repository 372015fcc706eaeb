import type { EnsembleInfo, EnsembleSummary, InvokeParsedArgs } from '../../src-shared/contract';
import { AppError } from '../../src-shared/errors';
import { NUM_CLASSES } from '../../src-shared/labels';
import { flips } from '../analysis/mcnemar';
import { hardVote, softVote } from '../analysis/voting';
import type { Workbench } from '../context';
import { checkSameSamples, checkSameSplit } from './align';
import { ensembleIds, ensembleMembers, ensembleRow, insertEnsemble } from '../store/ensembles';
import { evaluationExists, getSummary, listSummaries, loadPredictions, outOfFoldK } from '../store/evaluations';

/**
 * ensembles.create: combines stored member predictions (no model is run again), stores the ensemble,
 * its members and its evaluation in one transaction, and reports what it fixed and broke against its
 * best member.
 */
export function createEnsemble(wb: Workbench, args: InvokeParsedArgs<'ensembles.create'>): EnsembleSummary {
  const ids = [...new Set(args.evaluationIds)];
  if (ids.length < 2) throw new AppError('INVALID_INPUT', `An ensemble needs at least two different evaluations; got ${ids.length === 1 ? `only evaluation ${ids[0]}` : 'none'}.`);
  if (ids.length !== args.evaluationIds.length) throw new AppError('INVALID_INPUT', 'An evaluation is listed twice: give each member once (use weights to count one more).');
  if (args.weights && args.weights.length !== ids.length) throw new AppError('INVALID_INPUT', `${args.weights.length} weights given for ${ids.length} members.`);
  if (args.weights && !args.weights.some((w) => w > 0)) throw new AppError('INVALID_INPUT', 'At least one ensemble weight must be greater than 0.');
  const missing = ids.filter((id) => !evaluationExists(wb.db, id));
  if (missing.length) throw new AppError('NOT_FOUND', `Evaluation${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist.`);
  const members = ids.map((id) => getSummary(wb.db, id));
  checkSameSplit(members, 'build this ensemble');
  const preds = members.map((m) => loadPredictions(wb.db, m.id));
  checkSameSamples(members, preds, 'build this ensemble');
  const n = preds[0]!.n;
  const weights = args.weights ?? ids.map(() => 1);
  const tables = preds.map((p) => p.probs);
  const voted = args.vote === 'soft' ? { probs: softVote(tables, n, NUM_CLASSES, weights), preds: undefined } : hardVote(tables, n, NUM_CLASSES, weights);
  const name = args.name?.trim() || `${args.vote} vote of ${members.map((m) => m.name).join(' + ')}`.slice(0, 200);
  const first = members[0]!;
  const id = insertEnsemble(wb.db, {
    name,
    vote: args.vote,
    members: ids.map((evaluationId, i) => ({ evaluationId, weight: weights[i]! })),
    outOfFoldK: null,
    evaluation: {
      datasetId: first.datasetId,
      split: first.split,
      checkpoint: 'ensemble',
      tta: null,
      sampleIds: preds[0]!.sampleIds,
      labels: preds[0]!.labels,
      probs: voted.probs,
      ...(voted.preds ? { preds: voted.preds } : {}),
    },
  });
  return getEnsemble(wb, id);
}

export function getEnsemble(wb: Workbench, ensembleId: number): EnsembleSummary {
  const row = ensembleRow(wb.db, ensembleId);
  if (!row) throw new AppError('NOT_FOUND', `Ensemble ${ensembleId} does not exist.`);
  const evaluation = listSummaries(wb.db, { ensembleId })[0];
  if (!evaluation) throw new AppError('DB_CORRUPT', `Ensemble ${ensembleId} has no evaluation stored.`);
  const memberRows = ensembleMembers(wb.db, ensembleId);
  const best = [...memberRows].sort((a, b) => b.accuracy - a.accuracy || a.loss - b.loss || a.evaluationId - b.evaluationId)[0]!;
  const outOfFold = outOfFoldK(wb.db, ensembleId);
  let f: { fixed: number[]; broken: number[] } = { fixed: [], broken: [] };
  // An out-of-fold evaluation's members each hold other faces (and their predictions are its own): nothing to flip.
  if (outOfFold === null) {
    const mine = loadPredictions(wb.db, evaluation.id);
    const theirs = loadPredictions(wb.db, best.evaluationId);
    // Stored predictions are in sample-id order on both sides; the ensemble was built from the same set.
    f = flips(mine.sampleIds, mine.labels, theirs.preds, mine.preds);
  }
  const ensemble: EnsembleInfo = { id: row.id, name: row.name, vote: row.vote, members: memberRows, bestMemberEvaluationId: best.evaluationId, fixed: f.fixed, broken: f.broken, outOfFold };
  return { ...evaluation, ensemble };
}

export function listEnsembles(wb: Workbench): EnsembleSummary[] {
  return ensembleIds(wb.db).map((id) => getEnsemble(wb, id));
}
