import type { CompareRow } from '../../src-shared/contract/evaluation';
import { columnInfo } from '../../src-shared/columns';

/** One evaluated thing going into a comparison table: a run's evaluation or an ensemble's. */
export interface CompareEntry {
  kind: 'run' | 'ensemble';
  id: number;
  label: string;
  /** null: the run has no evaluation of the table's setting; its row (or its group's) names it as missing. */
  evaluationId: number | null;
  runIds: number[];
  seeds: number[];
  /** The run's training config (null for an ensemble), so rows can be grouped by any field of it. */
  config: Record<string, unknown> | null;
  metrics: Record<string, number | string | null>;
}

export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  if (!n) return { mean: NaN, std: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  // Sample standard deviation (n − 1): replicates estimate the spread of a new seed, not of these seeds only.
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** Reads `a.b.c` out of a config object; undefined when any step is missing. */
export function configField(config: Record<string, unknown> | null, path: string): unknown {
  let cur: unknown = config;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function displayValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function aggregate(entries: readonly CompareEntry[], columns: readonly string[]): CompareRow['values'] {
  const values: CompareRow['values'] = {};
  for (const col of columns) {
    const info = columnInfo(col);
    const raw = entries.map((e) => e.metrics[col]).filter((v): v is number | string => v !== null && v !== undefined);
    if (!raw.length) {
      values[col] = null;
    } else if (info?.kind === 'text' || raw.some((v) => typeof v === 'string')) {
      values[col] = [...new Set(raw.map(String))].join('/');
    } else {
      const { mean, std } = meanStd(raw as number[]);
      values[col] = { mean, std };
    }
  }
  return values;
}

export function groupFields(groupBy: string | null): string[] {
  return groupBy ? groupBy.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * Rows for a comparison table. Without groupBy each entry is a row. With groupBy ("classWeights",
 * or several fields "model,classWeights") runs sharing those config values collapse into one row whose
 * numbers are mean ± std over the replicates, with n and every run id and seed kept; ensembles stay rows.
 */
export function buildCompareRows(entries: readonly CompareEntry[], columns: readonly string[], groupBy: string | null): CompareRow[] {
  const fields = groupFields(groupBy);
  const single = (e: CompareEntry): CompareRow => {
    const missing = e.evaluationId === null;
    return {
      key: `${e.kind}:${e.id}`,
      label: e.label,
      kind: e.kind,
      runIds: missing ? [] : [...e.runIds],
      seeds: missing ? [] : [...e.seeds],
      n: missing ? 0 : 1,
      missingRunIds: missing ? [...e.runIds] : [],
      values: aggregate(missing ? [] : [e], columns),
    };
  };
  if (!fields.length) return entries.map(single);
  const groups = new Map<string, { label: string; members: CompareEntry[] }>();
  const rows: (CompareRow | { groupKey: string })[] = [];
  for (const e of entries) {
    if (e.kind !== 'run') {
      rows.push(single(e));
      continue;
    }
    const vals = fields.map((f) => configField(e.config, f));
    const key = JSON.stringify(vals);
    let g = groups.get(key);
    if (!g) {
      g = { label: fields.map((f, i) => `${f}=${vals[i] === undefined ? '(unset)' : displayValue(vals[i])}`).join(', '), members: [] };
      groups.set(key, g);
      rows.push({ groupKey: key });
    }
    g.members.push(e);
  }
  return rows.map((r) => {
    if (!('groupKey' in r)) return r;
    const g = groups.get(r.groupKey)!;
    // A member without an evaluation of the setting is named, and kept out of n and the mean.
    const scored = g.members.filter((m) => m.evaluationId !== null);
    return {
      key: `group:${r.groupKey}`,
      label: g.label,
      kind: 'group' as const,
      runIds: scored.flatMap((m) => m.runIds),
      seeds: scored.flatMap((m) => m.seeds),
      n: scored.length,
      missingRunIds: g.members.filter((m) => m.evaluationId === null).flatMap((m) => m.runIds),
      values: aggregate(scored, columns),
    };
  });
}
