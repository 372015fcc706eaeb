import { AppError } from '../../src-shared/errors';
import type { EvaluationSummary } from '../../src-shared/contract/evaluation';
import type { StoredPredictions } from '../store/evaluations';

/** Two or more evaluations can be combined or compared only on the same dataset and split. */
export function checkSameSplit(evals: readonly EvaluationSummary[], what: string): void {
  const first = evals[0]!;
  for (const e of evals.slice(1)) {
    if (e.datasetId !== first.datasetId || e.split !== first.split) {
      throw new AppError(
        'INVALID_INPUT',
        `Cannot ${what}: evaluation ${first.id} (${first.name}) is on dataset ${first.datasetId} / ${first.split}, but evaluation ${e.id} (${e.name}) is on dataset ${e.datasetId} / ${e.split}.`,
      );
    }
  }
}

/** Predictions are loaded in sample-id order; the sets must match exactly (a limited eval would not). */
export function checkSameSamples(evals: readonly EvaluationSummary[], preds: readonly StoredPredictions[], what: string): void {
  const a = preds[0]!;
  preds.forEach((p, m) => {
    if (m === 0) return;
    const e = evals[m]!;
    if (p.n !== a.n) throw new AppError('INVALID_INPUT', `Cannot ${what}: evaluation ${evals[0]!.id} has ${a.n} samples but evaluation ${e.id} has ${p.n}.`);
    for (let i = 0; i < p.n; i++) {
      if (p.sampleIds[i] !== a.sampleIds[i]) throw new AppError('INVALID_INPUT', `Cannot ${what}: evaluations ${evals[0]!.id} and ${e.id} scored different samples (first difference: sample ${a.sampleIds[i]} vs ${p.sampleIds[i]}).`);
      if (p.labels[i] !== a.labels[i]) throw new AppError('INVALID_INPUT', `Cannot ${what}: evaluations ${evals[0]!.id} and ${e.id} disagree on the label of sample ${a.sampleIds[i]}.`);
    }
  });
}
