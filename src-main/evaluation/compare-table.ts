import { COMPARE_METRICS, type CompareTable, type EvaluationSummary } from '../../src-shared/contract/evaluation';
import { AppError } from '../../src-shared/errors';
import { EMOTIONS, NUM_CLASSES, type Split } from '../../src-shared/labels';
import { calibration } from '../analysis/calibration';
import { columnInfo, knownColumns } from '../../src-shared/columns';
import { buildCompareRows, configField, groupFields, type CompareEntry } from '../analysis/compare';
import type { Workbench } from '../context';
import { getEnsemble } from './ensemble';
import { latestForRun, loadPredictions, perClassOf } from './store';

export interface CompareRequest {
  runIds: number[];
  ensembleIds: number[];
  groupBy: string | null;
  split: Split | null;
  columns?: string[] | undefined;
}

interface RunRow {
  id: number;
  name: string;
  seed: number;
  config_json: string;
  backend: string | null;
  best_epoch: number | null;
  started_at: string | null;
  finished_at: string | null;
}

/** Wall time from start to finish (ISO timestamps; julianday() would round to ~10 µs of a day). */
function trainSeconds(r: RunRow): number | null {
  if (!r.started_at || !r.finished_at) return null;
  const s = (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000;
  return Number.isFinite(s) ? s : null;
}

function metricsOf(wb: Workbench, ev: EvaluationSummary, columns: readonly string[]): Record<string, number | string | null> {
  const m: Record<string, number | string | null> = {
    accuracy: ev.accuracy,
    dedupAccuracy: ev.dedup?.exact.accuracy ?? null,
    nearDedupAccuracy: ev.dedup?.near.accuracy ?? null,
    dedupSamples: ev.dedup?.near.samples ?? null,
    ferplusAccuracy: ev.ferplus?.accuracy ?? null,
    loss: ev.loss,
    macroF1: ev.macroF1,
    split: ev.split,
    tta: ev.tta?.totalViews ?? 1,
  };
  if (columns.some((c) => c.includes('.'))) {
    for (const pc of perClassOf(wb.db, ev.id)) {
      const e = EMOTIONS[pc.label]!;
      m[`recall.${e}`] = pc.recall;
      m[`precision.${e}`] = pc.precision;
      m[`f1.${e}`] = pc.f1;
    }
  }
  if (columns.includes('ece')) {
    const p = loadPredictions(wb.db, ev.id);
    m.ece = calibration(p.probs, p.labels, NUM_CLASSES, 10).ece;
  }
  return m;
}

/**
 * The rows a comparison shows: each run's newest evaluation (on the split, if one is given) and each
 * ensemble's evaluation, grouped when asked. Refuses, naming them, runs that have no evaluation yet.
 */
export function compareTable(wb: Workbench, req: CompareRequest): CompareTable {
  const runIds = [...new Set(req.runIds)];
  const ensembleIds = [...new Set(req.ensembleIds)];
  if (!runIds.length && !ensembleIds.length) throw new AppError('INVALID_INPUT', 'Pick at least one run or ensemble to compare.');
  const columns = req.columns?.length ? [...req.columns] : [...COMPARE_METRICS];
  const unknown = columns.filter((c) => !columnInfo(c));
  if (unknown.length) throw new AppError('INVALID_INPUT', `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}. Known: ${knownColumns().join(', ')}.`);

  const runs: RunRow[] = [];
  const missingRuns: number[] = [];
  for (const id of runIds) {
    const r = wb.db
      .prepare(
        `SELECT id, name, seed, config_json, backend, best_epoch, started_at, finished_at FROM runs WHERE id = ?`,
      )
      .get(id) as RunRow | undefined;
    if (r) runs.push(r);
    else missingRuns.push(id);
  }
  if (missingRuns.length) throw new AppError('NOT_FOUND', `Run${missingRuns.length > 1 ? 's' : ''} ${missingRuns.join(', ')} ${missingRuns.length > 1 ? 'do' : 'does'} not exist.`);

  const evals = runs.map((r) => latestForRun(wb.db, r.id, req.split));
  const unevaluated = runs.filter((_, i) => !evals[i]).map((r) => r.id);
  if (unevaluated.length) {
    const on = req.split ? ` on ${req.split}` : '';
    throw new AppError(
      'INVALID_INPUT',
      `Run${unevaluated.length > 1 ? 's' : ''} ${unevaluated.join(', ')} ${unevaluated.length > 1 ? 'have' : 'has'} no evaluation${on} yet: evaluate ${unevaluated.length > 1 ? 'them' : 'it'} first (fer eval ${unevaluated[0]} --split ${req.split ?? 'PrivateTest'}).`,
      { runIds: unevaluated },
    );
  }

  const entries: CompareEntry[] = runs.map((r, i) => {
    const ev = evals[i]!;
    const config = JSON.parse(r.config_json) as Record<string, unknown>;
    return {
      kind: 'run',
      id: r.id,
      label: `${r.name} (#${r.id})`,
      evaluationId: ev.id,
      runIds: [r.id],
      seeds: [r.seed],
      config,
      metrics: { ...metricsOf(wb, ev, columns), backend: r.backend, bestEpoch: r.best_epoch, trainSeconds: trainSeconds(r), model: (config.model as string | undefined) ?? null },
    };
  });
  for (const id of ensembleIds) {
    const ens = getEnsemble(wb, id);
    if (req.split && ens.split !== req.split) throw new AppError('INVALID_INPUT', `Ensemble ${id} was evaluated on ${ens.split}, not ${req.split}.`);
    entries.push({
      kind: 'ensemble',
      id,
      label: `${ens.ensemble.name} (ensemble #${id})`,
      evaluationId: ens.id,
      runIds: ens.ensemble.members.flatMap((m) => (m.runId === null ? [] : [m.runId])),
      seeds: ens.ensemble.members.flatMap((m) => (m.seed === null ? [] : [m.seed])),
      config: null,
      metrics: { ...metricsOf(wb, ens, columns), backend: null, bestEpoch: null, trainSeconds: null, model: 'ensemble' },
    });
  }

  const fields = groupFields(req.groupBy);
  for (const f of fields) {
    if (!entries.some((e) => e.config && configField(e.config, f) !== undefined)) {
      const sample = entries.find((e) => e.config)?.config;
      throw new AppError('INVALID_INPUT', `No selected run's config has a field "${f}"${sample ? `; fields include ${Object.keys(sample).join(', ')}` : ''}.`);
    }
  }
  const splits = new Set(entries.map((e) => e.metrics.split));
  // Mixed splits are shown, not hidden: a column says which split each row was scored on.
  if (splits.size > 1 && !columns.includes('split')) columns.push('split');
  return { columns, rows: buildCompareRows(entries, columns, req.groupBy), groupBy: req.groupBy, split: req.split ?? (splits.size === 1 ? ([...splits][0] as Split) : null) };
}
