import { COMPARE_METRICS, type CompareTable, type EvaluationSummary } from '../../src-shared/contract/evaluation';
import { AppError } from '../../src-shared/errors';
import { EMOTIONS, NUM_CLASSES, type Split } from '../../src-shared/labels';
import { calibration } from '../analysis/calibration';
import { columnInfo, knownColumns } from '../../src-shared/columns';
import { buildCompareRows, configField, groupFields, type CompareEntry } from '../analysis/compare';
import type { Workbench } from '../context';
import { getEnsemble } from './ensemble';
import { checkEnsembleSetting, loadRuns, matchingEvaluations, settingOf, type RunRow, type SettingRequest } from './selection';
import { loadPredictions, perClassOf } from '../store/evaluations';
import { paperAccuracy } from '../../src-shared/paper';

export interface CompareRequest extends SettingRequest {
  runIds: number[];
  ensembleIds: number[];
  groupBy: string | null;
  columns?: string[] | undefined;
}

/** Wall time from start to finish (ISO timestamps; julianday() would round to ~10 µs of a day). */
function trainSeconds(r: RunRow): number | null {
  if (!r.started_at || !r.finished_at) return null;
  const s = (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000;
  return Number.isFinite(s) ? s : null;
}

/** The paper's number for this model and class-weight setting, and the measured accuracy's difference from it. */
function versusPaper(model: string | null, classWeights: boolean, accuracy: number): Record<string, number | null> {
  const paper = paperAccuracy(model, classWeights);
  return { paperAccuracy: paper, vsPaper: paper === null ? null : accuracy - paper };
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
 * The rows a comparison shows: each run's newest evaluation of exactly the requested setting (split, TTA
 * views, checkpoint) and each ensemble's evaluation, grouped when asked. A run with no evaluation of that
 * setting is listed as missing (an empty row, or left out of its group's n), never given another setting's.
 */
export function compareTable(wb: Workbench, req: CompareRequest): CompareTable {
  const runIds = [...new Set(req.runIds)];
  const ensembleIds = [...new Set(req.ensembleIds)];
  if (!runIds.length && !ensembleIds.length) throw new AppError('INVALID_INPUT', 'Pick at least one run or ensemble to compare.');
  const columns = req.columns?.length ? [...req.columns] : [...COMPARE_METRICS];
  const unknown = columns.filter((c) => !columnInfo(c));
  if (unknown.length) throw new AppError('INVALID_INPUT', `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}. Known: ${knownColumns().join(', ')}.`);

  const setting = settingOf(req);
  const runs = loadRuns(wb.db, runIds);
  const evals = matchingEvaluations(wb.db, runs, setting);

  const entries: CompareEntry[] = runs.map((r, i) => {
    const ev = evals[i];
    const config = JSON.parse(r.config_json) as Record<string, unknown>;
    return {
      kind: 'run',
      id: r.id,
      label: `${r.name} (#${r.id})`,
      evaluationId: ev?.id ?? null,
      runIds: [r.id],
      seeds: [r.seed],
      config,
      metrics: ev
        ? {
            ...metricsOf(wb, ev, columns),
            ...versusPaper((config.model as string | undefined) ?? null, config.classWeights === true, ev.accuracy),
            backend: r.backend,
            bestEpoch: r.best_epoch,
            trainSeconds: trainSeconds(r),
            model: (config.model as string | undefined) ?? null,
          }
        : {},
    };
  });
  for (const id of ensembleIds) {
    const ens = getEnsemble(wb, id);
    if (req.split && ens.split !== req.split) throw new AppError('INVALID_INPUT', `Ensemble ${id} was evaluated on ${ens.split}, not ${req.split}.`);
    checkEnsembleSetting(wb.db, id, setting);
    entries.push({
      kind: 'ensemble',
      id,
      label: `${ens.ensemble.name} (ensemble #${id})`,
      evaluationId: ens.id,
      runIds: ens.ensemble.members.flatMap((m) => (m.runId === null ? [] : [m.runId])),
      seeds: ens.ensemble.members.flatMap((m) => (m.seed === null ? [] : [m.seed])),
      config: null,
      metrics: { ...metricsOf(wb, ens, columns), ...versusPaper('ensemble', false, ens.accuracy), backend: null, bestEpoch: null, trainSeconds: null, model: 'ensemble' },
    });
  }
  const missing = runs.filter((_, i) => !evals[i]).map((r) => ({ runId: r.id, label: `${r.name} (#${r.id})` }));

  const fields = groupFields(req.groupBy);
  for (const f of fields) {
    if (!entries.some((e) => e.config && configField(e.config, f) !== undefined)) {
      const sample = entries.find((e) => e.config)?.config;
      throw new AppError('INVALID_INPUT', `No selected run's config has a field "${f}"${sample ? `; fields include ${Object.keys(sample).join(', ')}` : ''}.`);
    }
  }
  const splits = new Set(entries.filter((e) => e.evaluationId !== null).map((e) => e.metrics.split));
  // Mixed splits are shown, not hidden: a column says which split each row was scored on.
  if (splits.size > 1 && !columns.includes('split')) columns.push('split');
  return {
    columns,
    rows: buildCompareRows(entries, columns, req.groupBy),
    groupBy: req.groupBy,
    split: req.split ?? (splits.size === 1 ? ([...splits][0] as Split) : null),
    setting,
    missing,
  };
}
