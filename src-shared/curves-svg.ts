import type { EpochMetrics, RunDetail } from './contract/runs';
import { AppError } from './errors';

/**
 * Training curves as one self-contained SVG (issue #15: curves that paste into a paper). A plain string, not a
 * canvas: the CLI writes it from Node and the run page downloads the same bytes, and a figure in a paper must not
 * depend on fonts or scripts from elsewhere. Same input, same bytes: no clock, no randomness, fixed rounding.
 */

export const CURVE_METRICS = ['acc', 'loss', 'both'] as const;
export type CurveMetric = (typeof CURVE_METRICS)[number];

/** One run's curves: its name (shown in the legend), its stored epochs, and the epoch its best checkpoint holds. */
export interface CurveRun {
  name: string;
  epochs: readonly Pick<EpochMetrics, 'epoch' | 'loss' | 'acc' | 'valLoss' | 'valAcc'>[];
  bestEpoch?: number | null;
}

/**
 * A stored run as the CLI and the run page draw it: named by id and name (runs may share a name), its best epoch the
 * one its best checkpoint holds.
 */
export function curveRunOf(detail: Pick<RunDetail, 'run' | 'epochs'>): CurveRun {
  return { name: `#${detail.run.id} ${detail.run.name}`, epochs: detail.epochs, bestEpoch: detail.run.bestEpoch };
}

/** Okabe & Ito's colour-blind-safe palette without its yellow (unreadable on white). */
const CURVE_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'] as const;

/**
 * One colour per run, so a figure holds as many runs as the palette has colours: a reused colour would make two runs
 * one in the legend (and more lines than this are unreadable in a panel anyway).
 */
export const CURVE_RUNS_MAX = CURVE_COLORS.length;

const PANEL_W = 440;
const PANEL_H = 300;
const PLOT = { left: 62, right: 16, top: 34, bottom: 46 };
const ROW_H = 18;
const LEGEND_NAME_MAX = 90;

type Panel = { metric: 'acc' | 'loss'; title: string; axis: string };
const PANELS: Record<'acc' | 'loss', Panel> = {
  acc: { metric: 'acc', title: 'Accuracy', axis: 'accuracy (%)' },
  loss: { metric: 'loss', title: 'Loss', axis: 'loss' },
};

export function curvesSvg(runs: readonly CurveRun[], metric: CurveMetric = 'both'): string {
  if (runs.length === 0) throw new AppError('INVALID_INPUT', 'No runs given: training curves need at least one run.');
  if (runs.length > CURVE_RUNS_MAX) throw new AppError('INVALID_INPUT', `${runs.length} runs given; one figure tells at most ${CURVE_RUNS_MAX} apart by colour-blind-safe colours. Draw them in several figures.`);
  for (const r of runs) {
    if (r.epochs.length === 0) throw new AppError('INVALID_INPUT', `Run "${r.name}" has no finished epoch yet: there is no curve to draw.`);
  }
  const sorted = runs.map((r) => ({ ...r, epochs: [...r.epochs].sort((a, b) => a.epoch - b.epoch) }));
  const panels = metric === 'both' ? [PANELS.acc, PANELS.loss] : [PANELS[metric]];
  const width = PANEL_W * panels.length;
  const legendTop = PANEL_H + 8;
  const height = legendTop + ROW_H * (sorted.length + 1) + 6;
  const names = sorted.map((r) => clean(r.name)).join(', ');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(`Training curves: ${names}`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  panels.forEach((p, i) => out.push(...panelSvg(p, i * PANEL_W, sorted)));
  out.push(...legendSvg(sorted, legendTop));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

type Point = [epoch: number, value: number];

function series(r: CurveRun, metric: 'acc' | 'loss', which: 'train' | 'val'): Point[] {
  const key = which === 'train' ? metric : metric === 'acc' ? 'valAcc' : 'valLoss';
  return r.epochs.flatMap((e): Point[] => {
    const v = e[key];
    return v === null || !Number.isFinite(v) ? [] : [[e.epoch, v]];
  });
}

function panelSvg(p: Panel, left: number, runs: readonly CurveRun[]): string[] {
  const lines = runs.flatMap((r) => (['train', 'val'] as const).map((which) => ({ r, which, pts: series(r, p.metric, which) })));
  const values = lines.flatMap((l) => l.pts.map((pt) => pt[1]));
  const epochs = runs.flatMap((r) => r.epochs.map((e) => e.epoch));
  const xa = xAxis(Math.min(...epochs), Math.max(...epochs));
  const ya = yAxis(p.metric, values);
  const x0 = left + PLOT.left;
  const x1 = left + PANEL_W - PLOT.right;
  const y0 = PLOT.top;
  const y1 = PANEL_H - PLOT.bottom;
  const sx = (v: number) => x0 + ((v - xa.lo) / (xa.hi - xa.lo)) * (x1 - x0);
  const sy = (v: number) => y1 - ((v - ya.lo) / (ya.hi - ya.lo)) * (y1 - y0);
  const out = [`<g class="panel" data-metric="${p.metric}">`, `<text x="${n((x0 + x1) / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${p.title}</text>`];
  for (const t of ya.ticks) {
    out.push(`<line class="grid" x1="${n(x0)}" y1="${n(sy(t))}" x2="${n(x1)}" y2="${n(sy(t))}" stroke="#e3e3e3" stroke-width="1"/>`);
    out.push(`<text class="tick-y" x="${n(x0 - 6)}" y="${n(sy(t))}" text-anchor="end" dominant-baseline="middle">${ya.label(t)}</text>`);
  }
  for (const t of xa.ticks) {
    out.push(`<line x1="${n(sx(t))}" y1="${n(y1)}" x2="${n(sx(t))}" y2="${n(y1 + 4)}" stroke="#333333" stroke-width="1"/>`);
    out.push(`<text class="tick-x" x="${n(sx(t))}" y="${n(y1 + 16)}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<path d="M${n(x0)},${n(y0)}V${n(y1)}H${n(x1)}" fill="none" stroke="#333333" stroke-width="1"/>`);
  out.push(`<text x="${n((x0 + x1) / 2)}" y="${n(PANEL_H - 10)}" text-anchor="middle">epoch</text>`);
  out.push(`<text x="${n(left + 16)}" y="${n((y0 + y1) / 2)}" text-anchor="middle" transform="rotate(-90 ${n(left + 16)} ${n((y0 + y1) / 2)})">${p.axis}</text>`);
  for (const { r, which, pts } of lines) {
    const i = runs.indexOf(r);
    const color = CURVE_COLORS[i]!;
    const style = which === 'train' ? 'stroke-width="1.4" stroke-dasharray="5 3"' : 'stroke-width="1.8"';
    const attrs = `data-run="${i}" data-series="${which}" data-metric="${p.metric}"`;
    // A value missing in the middle (no validation that epoch) breaks the line instead of bridging the gap.
    for (const seg of segments(pts, r)) {
      if (seg.length === 1) out.push(`<circle class="point" ${attrs} cx="${n(sx(seg[0]![0]))}" cy="${n(sy(seg[0]![1]))}" r="2" fill="${color}"/>`);
      else out.push(`<polyline class="curve" ${attrs} points="${seg.map(([e, v]) => `${n(sx(e))},${n(sy(v))}`).join(' ')}" fill="none" stroke="${color}" ${style}/>`);
    }
  }
  // The best epoch on the line it was chosen by: validation where the run has one, else training.
  runs.forEach((r, i) => {
    const pts = series(r, p.metric, 'val').length ? series(r, p.metric, 'val') : series(r, p.metric, 'train');
    const best = pts.find(([e]) => e === r.bestEpoch);
    if (!best) return;
    const label = p.metric === 'acc' ? `${(best[1] * 100).toFixed(2)}%` : best[1].toFixed(4);
    out.push(`<circle class="best" data-run="${i}" cx="${n(sx(best[0]))}" cy="${n(sy(best[1]))}" r="4.5" fill="#ffffff" stroke="${CURVE_COLORS[i]}" stroke-width="2"><title>${escapeXml(`${clean(r.name)}: best epoch ${best[0]}, ${label}`)}</title></circle>`);
  });
  out.push('</g>');
  return out;
}

/** Consecutive epochs form one segment; a skipped epoch of the run (a missing value) starts the next. */
function segments(pts: Point[], r: CurveRun): Point[][] {
  const order = new Map(r.epochs.map((e, i) => [e.epoch, i]));
  const segs: Point[][] = [];
  let prev = -2;
  for (const pt of pts) {
    const at = order.get(pt[0])!;
    if (at !== prev + 1 || segs.length === 0) segs.push([]);
    segs.at(-1)!.push(pt);
    prev = at;
  }
  return segs;
}

function legendSvg(runs: readonly CurveRun[], top: number): string[] {
  const y = (row: number) => n(top + ROW_H * row + ROW_H / 2);
  const out = [
    `<g class="legend">`,
    `<line x1="16" y1="${y(0)}" x2="40" y2="${y(0)}" stroke="#333333" stroke-width="1.8"/><text x="46" y="${y(0)}" dominant-baseline="middle">validation</text>`,
    `<line x1="130" y1="${y(0)}" x2="154" y2="${y(0)}" stroke="#333333" stroke-width="1.4" stroke-dasharray="5 3"/><text x="160" y="${y(0)}" dominant-baseline="middle">training</text>`,
    `<circle cx="244" cy="${y(0)}" r="4.5" fill="#ffffff" stroke="#333333" stroke-width="2"/><text x="254" y="${y(0)}" dominant-baseline="middle">best epoch (its checkpoint)</text>`,
  ];
  runs.forEach((r, i) => {
    const name = clean(r.name);
    const shown = name.length > LEGEND_NAME_MAX ? `${name.slice(0, LEGEND_NAME_MAX - 1)}…` : name;
    const best = r.bestEpoch != null && r.epochs.some((e) => e.epoch === r.bestEpoch) ? ` (best epoch ${r.bestEpoch})` : '';
    out.push(`<line x1="16" y1="${y(i + 1)}" x2="40" y2="${y(i + 1)}" stroke="${CURVE_COLORS[i]}" stroke-width="3"/>`);
    out.push(`<text class="legend-name" data-run="${i}" x="46" y="${y(i + 1)}" dominant-baseline="middle">${escapeXml(shown + best)}</text>`);
  });
  out.push('</g>');
  return out;
}

interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  label(v: number): string;
}

/** Whole epochs: a single epoch gets one either side, so its point is off the frame and the axis has a scale. */
function xAxis(first: number, last: number): Axis {
  const lo = first === last ? first - 1 : first;
  const hi = first === last ? last + 1 : last;
  const step = Math.max(1, niceStep((hi - lo) / 6));
  return { lo, hi, ticks: ticksIn(lo, hi, step), label: String };
}

/** Accuracy zooms to its data within 0–100%, labelled in percent; loss within 0 and up. */
function yAxis(metric: 'acc' | 'loss', values: number[]): Axis {
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (max - min < 1e-9) {
    const pad = metric === 'acc' ? 0.05 : Math.max(0.1, Math.abs(max) * 0.1);
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / 5);
  let lo = Math.floor(min / step + 1e-9) * step;
  let hi = Math.ceil(max / step - 1e-9) * step;
  if (metric === 'acc') hi = Math.min(hi, 1);
  if (metric === 'acc' || min >= 0) lo = Math.max(lo, 0);
  lo = round(lo);
  hi = round(hi);
  const digits = (s: number) => Math.max(0, -Math.floor(Math.log10(s) + 1e-9));
  const label = metric === 'acc' ? (v: number) => `${(v * 100).toFixed(digits(step * 100))}%` : (v: number) => v.toFixed(digits(step));
  return { lo, hi, ticks: ticksIn(lo, hi, step), label };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return round((f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p);
}

function ticksIn(lo: number, hi: number, step: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k <= Math.floor(hi / step + 1e-9); k++) ticks.push(round(k * step));
  return ticks;
}

/** Drops float noise (0.30000000000000004) so ticks and labels are the numbers they look like. */
const round = (v: number) => Number(v.toPrecision(12));

/** A coordinate to 0.01 px: fine enough for print, and the same digits on every platform. */
const n = (v: number) => String(Math.round(v * 100) / 100);

/** Characters XML 1.0 cannot hold at all (C0 controls but tab and newlines; lone surrogates) become U+FFFD. */
function clean(s: string): string {
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
