/**
 * How the Compare table prints a column. Mirrors the exporter's rules (src-main/analysis/columns.ts) so the
 * table on screen reads like the exported file; the renderer cannot import main-side code.
 */
type Kind = 'percent' | 'decimal' | 'count' | 'seconds' | 'text';

const FIXED: Record<string, { header: string; kind: Kind }> = {
  accuracy: { header: 'Accuracy (%)', kind: 'percent' },
  loss: { header: 'CE loss', kind: 'decimal' },
  macroF1: { header: 'Macro-F1 (%)', kind: 'percent' },
  ece: { header: 'ECE', kind: 'decimal' },
  bestEpoch: { header: 'Best epoch', kind: 'count' },
  trainSeconds: { header: 'Train time (s)', kind: 'seconds' },
  backend: { header: 'Backend', kind: 'text' },
  model: { header: 'Model', kind: 'text' },
  split: { header: 'Split', kind: 'text' },
  tta: { header: 'TTA views', kind: 'count' },
};

function info(col: string): { header: string; kind: Kind } {
  const fixed = FIXED[col];
  if (fixed) return fixed;
  const [metric, emotion] = col.split('.');
  if (emotion && (metric === 'recall' || metric === 'precision' || metric === 'f1')) return { header: `${emotion} ${metric === 'f1' ? 'F1' : metric} (%)`, kind: 'percent' };
  return { header: col, kind: 'decimal' };
}

export function columnHeader(col: string): string {
  return info(col).header;
}

function fmt(kind: Kind, v: number): string {
  switch (kind) {
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

export function columnCell(col: string, v: { mean: number; std: number } | string | null | undefined, n: number): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  const k = info(col).kind;
  return n > 1 ? `${fmt(k, v.mean)} ± ${fmt(k, v.std)}` : fmt(k, v.mean);
}
