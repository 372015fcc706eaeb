import { EMOTIONS } from './labels';

/**
 * What a comparison column is: how to print it, and which way is "best" (for bold in exports).
 * Per-class columns are `recall.sad`, `precision.fear`, `f1.happy`.
 */
export interface ColumnInfo {
  name: string;
  header: string;
  kind: 'percent' | 'decimal' | 'count' | 'seconds' | 'text';
  best: 'max' | 'min' | null;
  /** A reference value, the same for every replicate: printed without ± std. */
  reference?: true;
}

const FIXED: Record<string, Omit<ColumnInfo, 'name'>> = {
  accuracy: { header: 'Accuracy (%)', kind: 'percent', best: 'max' },
  dedupAccuracy: { header: 'Accuracy, no exact train copies (%)', kind: 'percent', best: 'max' },
  nearDedupAccuracy: { header: 'Accuracy, no near train copies (%)', kind: 'percent', best: 'max' },
  dedupSamples: { header: 'Faces, no near train copies', kind: 'count', best: null },
  ferplusAccuracy: { header: 'Accuracy vs FER+ majority (%)', kind: 'percent', best: 'max' },
  loss: { header: 'CE loss', kind: 'decimal', best: 'min' },
  macroF1: { header: 'Macro-F1 (%)', kind: 'percent', best: 'max' },
  ece: { header: 'ECE', kind: 'decimal', best: 'min' },
  bestEpoch: { header: 'Best epoch', kind: 'count', best: null },
  trainSeconds: { header: 'Train time (s)', kind: 'seconds', best: null },
  backend: { header: 'Backend', kind: 'text', best: null },
  model: { header: 'Model', kind: 'text', best: null },
  split: { header: 'Split', kind: 'text', best: null },
  tta: { header: 'TTA views', kind: 'count', best: null },
  /** The paper's Table 2 number for the row's model and class weights (src-shared/paper.ts). */
  paperAccuracy: { header: 'Paper (%)', kind: 'percent', best: null, reference: true },
  /** Accuracy minus the paper's, in percentage points. */
  vsPaper: { header: 'Δ vs paper (pts)', kind: 'percent', best: null },
};

const PER_CLASS = { recall: 'recall', precision: 'precision', f1: 'F1' } as const;

export function columnInfo(name: string): ColumnInfo | null {
  const fixed = FIXED[name];
  if (fixed) return { name, ...fixed };
  const [metric, emotion] = name.split('.');
  if (metric && emotion && Object.hasOwn(PER_CLASS, metric) && (EMOTIONS as readonly string[]).includes(emotion)) {
    return { name, header: `${emotion} ${PER_CLASS[metric as keyof typeof PER_CLASS]} (%)`, kind: 'percent', best: 'max' };
  }
  return null;
}

export function knownColumns(): string[] {
  const perClass = Object.keys(PER_CLASS).flatMap((m) => EMOTIONS.map((e) => `${m}.${e}`));
  return [...Object.keys(FIXED), ...perClass];
}

/** A number as the table shows it: percentages ×100 with two decimals, losses with four. */
export function formatNumber(info: ColumnInfo, v: number): string {
  switch (info.kind) {
    case 'percent':
      return (v * 100).toFixed(2);
    case 'decimal':
      return v.toFixed(4);
    case 'count':
      return Number.isInteger(v) ? String(v) : v.toFixed(1);
    case 'seconds':
      return v.toFixed(1);
    case 'text':
      return String(v);
  }
}

/** Any column, known or not: an unknown one prints as a plain decimal under its own name. */
export function describeColumn(name: string): ColumnInfo {
  return columnInfo(name) ?? { name, header: name, kind: 'decimal', best: null };
}

/** One table cell as the exports print it: mean ± std over replicates, the value alone for one run. */
export function formatCell(name: string, v: { mean: number; std: number } | string | null | undefined, n: number, pm = ' ± '): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  const info = describeColumn(name);
  return n > 1 && !info.reference ? `${formatNumber(info, v.mean)}${pm}${formatNumber(info, v.std)}` : formatNumber(info, v.mean);
}

export function columnHeader(name: string): string {
  return describeColumn(name).header;
}
