import { evaluationInvoke } from '../../src-shared/contract/evaluation';
import { AppError } from '../../src-shared/errors';
import { renderTable } from '../analysis/export';
import { calibrationReport, cellPage, diffEvaluations, sampleProbs } from '../evaluation/analyses';
import { cancelEvaluations } from '../evaluation/cancel';
import { compareTable } from '../evaluation/compare-table';
import { createEnsemble, getEnsemble, listEnsembles } from '../evaluation/ensemble';
import { evaluateMissing } from '../evaluation/evaluate-missing';
import { evaluateRun } from '../evaluation/run-eval';
import { epochConfusions, getDetail, listSummaries } from '../evaluation/store';
import { writeFileAtomic } from '../evaluation/write-file';
import type { HandlersFor } from './types';

function runMustExist(db: import('../store/db').Db, runId: number): void {
  if (!db.prepare('SELECT 1 FROM runs WHERE id = ?').get(runId)) throw new AppError('NOT_FOUND', `Run ${runId} does not exist.`);
}

export const evaluationHandlers: HandlersFor<typeof evaluationInvoke> = {
  'eval.run': (args, wb) => evaluateRun(wb, args),
  'eval.list': (args, wb) => listSummaries(wb.db, args.runId === undefined ? {} : { runId: args.runId }),
  'eval.get': (args, wb) => getDetail(wb.db, args.evaluationId),
  'eval.epochConfusions': (args, wb) => {
    runMustExist(wb.db, args.runId);
    return epochConfusions(wb.db, args.runId);
  },
  'eval.cell': (args, wb) => cellPage(wb, args.evaluationId, args.trueLabel, args.predLabel, args.offset, args.limit),
  'eval.sampleProbs': (args, wb) => sampleProbs(wb, args.evaluationId, args.sampleIds),
  'eval.calibration': (args, wb) => calibrationReport(wb, args.evaluationId, args.bins),
  'eval.diff': (args, wb) => diffEvaluations(wb, args.a, args.b),
  'ensembles.create': (args, wb) => createEnsemble(wb, args),
  'ensembles.get': (args, wb) => getEnsemble(wb, args.ensembleId),
  'ensembles.list': (_args, wb) => listEnsembles(wb),
  'compare.table': (args, wb) => compareTable(wb, args),
  'compare.evaluateMissing': (args, wb) => evaluateMissing(wb, args),
  'eval.cancel': (args, wb) => ({ cancelled: cancelEvaluations(wb, args.runId) }),
  'compare.export': (args, wb) => {
    const table = compareTable(wb, args);
    const text = renderTable(table, args.format);
    const path = args.path === undefined ? null : writeFileAtomic(args.path, text);
    return { text, path };
  },
};
