import { evaluationInvoke } from '../../src-shared/contract/evaluation';
import { renderTable } from '../analysis/export';
import { calibrationReport, cellPage, diffEvaluations, sampleProbs } from '../evaluation/analyses';
import { cancelEvaluations } from '../evaluation/cancel';
import { compareTable } from '../evaluation/compare-table';
import { createEnsemble, getEnsemble, listEnsembles } from '../evaluation/ensemble';
import { evaluateMissing } from '../evaluation/evaluate-missing';
import { evaluateOutOfFold } from '../evaluation/out-of-fold';
import { evaluateRun } from '../evaluation/run-eval';
import { saliencyPage } from '../evaluation/saliency';
import type { ReadableDb } from '../store/readable-db';
import { requireStoredRun } from '../store/runs';
import { epochConfusions, getDetail, listSummaries } from '../store/evaluations';
import { writeFileAtomic } from '../write-file';
import { ensureTrainCopiesForEvaluations } from '../data/train-copies';
import type { Workbench } from '../context';
import type { HandlersFor } from './types';

/**
 * Every handler that shows a test score shows its de-duplicated twin too; an evaluation stored before the
 * train-copy index existed gets its dataset indexed here, once (a no-op query afterwards).
 */
function indexed(wb: Workbench): Workbench {
  ensureTrainCopiesForEvaluations(wb);
  return wb;
}

function runMustExist(db: ReadableDb, runId: number): void {
  requireStoredRun(db, runId);
}

export const evaluationHandlers: HandlersFor<typeof evaluationInvoke> = {
  'eval.run': (args, wb) => evaluateRun(wb, args),
  'eval.list': (args, wb) => listSummaries(indexed(wb).db, args.runId === undefined ? {} : { runId: args.runId }),
  'eval.get': (args, wb) => getDetail(indexed(wb).db, args.evaluationId, args.dedup),
  'eval.epochConfusions': (args, wb) => {
    runMustExist(wb.db, args.runId);
    return epochConfusions(wb.db, args.runId);
  },
  'eval.cell': (args, wb) => cellPage(indexed(wb), args.evaluationId, args.trueLabel, args.predLabel, args.offset, args.limit, { dedup: args.dedup, crowd: args.crowd }),
  'eval.sampleProbs': (args, wb) => sampleProbs(wb, args.evaluationId, args.sampleIds),
  'eval.saliency': (args, wb) => saliencyPage(wb, args.evaluationId, args.sampleIds, args.target),
  'eval.calibration': (args, wb) => calibrationReport(wb, args.evaluationId, args.bins),
  'eval.diff': (args, wb) => diffEvaluations(indexed(wb), args.a, args.b),
  'ensembles.create': (args, wb) => createEnsemble(indexed(wb), args),
  'ensembles.get': (args, wb) => getEnsemble(indexed(wb), args.ensembleId),
  'ensembles.list': (_args, wb) => listEnsembles(indexed(wb)),
  'eval.outOfFold': (args, wb) => evaluateOutOfFold(indexed(wb), args),
  'compare.table': (args, wb) => compareTable(indexed(wb), args),
  'compare.evaluateMissing': (args, wb) => evaluateMissing(indexed(wb), args),
  'eval.cancel': (args, wb) => ({ cancelled: cancelEvaluations(wb, args.runId) }),
  'compare.export': (args, wb) => {
    const table = compareTable(indexed(wb), args);
    const text = renderTable(table, args.format);
    const path = args.path === undefined ? null : writeFileAtomic(args.path, text);
    return { text, path };
  },
};
