import { describe, expect, it } from 'vitest';
import { curvesSvg, type CurveRun } from '../../../src-shared/curves-svg';
import { prng } from '../../../src-main/engine/rng';

/**
 * The training-curve SVG (src-shared/curves-svg.ts) read back as a reader of the figure would: each polyline's
 * points are turned into values through the axis tick labels printed beside them, and must give the stored metrics.
 */

type Epoch = CurveRun['epochs'][number];

/** Noisy, non-monotonic metrics from a seed, so a wrong scale or a swapped series cannot match by accident. */
function epochs(n: number, seed: number, withVal = true): Epoch[] {
  const r = prng(seed);
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    loss: 0.4 + 1.5 / (i + 1) + 0.2 * r(),
    acc: 0.25 + 0.04 * i + 0.05 * r(),
    valLoss: withVal ? 0.6 + 1.2 / (i + 1) + 0.3 * r() : null,
    valAcc: withVal ? 0.22 + 0.03 * i + 0.08 * r() : null,
  }));
}

const attr = (tag: string, name: string) => tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];

function panel(svg: string, metric: 'acc' | 'loss'): string {
  const m = svg.match(new RegExp(`<g class="panel" data-metric="${metric}">([\\s\\S]*?)</g>`));
  if (!m) throw new Error(`no ${metric} panel`);
  return m[1]!;
}

/** The axis as printed: tick label values at their pixel positions, fitted by the first and last tick. */
function axis(body: string, which: 'x' | 'y'): (px: number) => number {
  const ticks = [...body.matchAll(new RegExp(`<text class="tick-${which}"([^>]*)>([^<]*)</text>`, 'g'))].map((m) => {
    const label = m[2]!;
    const value = label.endsWith('%') ? Number(label.slice(0, -1)) / 100 : Number(label);
    return { px: Number(attr(m[1]!, which)), value };
  });
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  const [a, b] = [ticks[0]!, ticks.at(-1)!];
  return (px) => a.value + ((px - a.px) * (b.value - a.value)) / (b.px - a.px);
}

/** Every polyline and lone point of one run's series in a panel, as [epoch, value] read through the axes. */
function readSeries(svg: string, metric: 'acc' | 'loss', run: number, series: 'train' | 'val'): [number, number][][] {
  const body = panel(svg, metric);
  const [fx, fy] = [axis(body, 'x'), axis(body, 'y')];
  const sel = `data-run="${run}" data-series="${series}" data-metric="${metric}"`;
  const lines = [...body.matchAll(new RegExp(`<polyline class="curve" ${sel} points="([^"]*)"`, 'g'))].map((m) =>
    m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]),
  );
  const dots = [...body.matchAll(new RegExp(`<circle class="point" ${sel}([^>]*)>`, 'g'))].map((m) => [[Number(attr(m[1]!, 'cx')), Number(attr(m[1]!, 'cy'))] as [number, number]]);
  return [...lines, ...dots].map((seg) => seg.map(([x, y]) => [fx(x), fy(y)]));
}

function expectSeries(got: [number, number][], want: [number, number][]): void {
  expect(got.map(([e]) => Math.round(e))).toEqual(want.map(([e]) => e));
  got.forEach(([e, v], i) => {
    expect(e).toBeCloseTo(want[i]![0], 2);
    // 0.01 px of rounding on a ~220 px axis spanning at most ~2.5 units.
    expect(Math.abs(v - want[i]![1]), `epoch ${want[i]![0]}`).toBeLessThan(2e-4);
  });
}

describe('curvesSvg', () => {
  it('draws each run’s train and validation curves at the values the printed axes give back', () => {
    const a = epochs(12, 1);
    const b = epochs(7, 2);
    const svg = curvesSvg([{ name: 'a', epochs: a, bestEpoch: 10 }, { name: 'b', epochs: b, bestEpoch: 5 }]);
    const pick = (es: Epoch[], k: 'acc' | 'loss' | 'valAcc' | 'valLoss') => es.map((e) => [e.epoch, e[k]!] as [number, number]);
    for (const [run, es] of [[0, a], [1, b]] as const) {
      for (const [metric, train, val] of [['acc', 'acc', 'valAcc'], ['loss', 'loss', 'valLoss']] as const) {
        const t = readSeries(svg, metric, run, 'train');
        const v = readSeries(svg, metric, run, 'val');
        expect(t).toHaveLength(1);
        expect(v).toHaveLength(1);
        expectSeries(t[0]!, pick(es, train));
        expectSeries(v[0]!, pick(es, val));
      }
    }
    // Validation solid, training dashed.
    expect(svg).toMatch(/<polyline [^>]*data-series="train"[^>]*stroke-dasharray/);
    expect(svg).not.toMatch(/<polyline [^>]*data-series="val"[^>]*stroke-dasharray/);
    // Accuracy is a percent axis; loss is not.
    expect(panel(svg, 'acc')).toMatch(/<text class="tick-y"[^>]*>\d+%<\/text>/);
    expect(panel(svg, 'loss')).not.toMatch(/%<\/text>/);
  });

  it('marks the best epoch on the validation curve of each panel, and nowhere when the run has none', () => {
    const a = epochs(6, 3);
    const svg = curvesSvg([{ name: 'a', epochs: a, bestEpoch: 4 }, { name: 'b', epochs: epochs(6, 4), bestEpoch: null }]);
    for (const [metric, key] of [['acc', 'valAcc'], ['loss', 'valLoss']] as const) {
      const body = panel(svg, metric);
      const marks = [...body.matchAll(/<circle class="best" data-run="(\d)"([^>]*)>/g)];
      expect(marks.map((m) => m[1])).toEqual(['0']);
      const [fx, fy] = [axis(body, 'x'), axis(body, 'y')];
      expect(fx(Number(attr(marks[0]![2]!, 'cx')))).toBeCloseTo(4, 2);
      expect(Math.abs(fy(Number(attr(marks[0]![2]!, 'cy'))) - a[3]![key]!)).toBeLessThan(2e-4);
    }
    expect(svg).toContain('>a (best epoch 4)</text>');
    expect(svg).toContain('>b</text>');
  });

  it('draws only the training line of a run without validation, and breaks a line where an epoch has no value', () => {
    const gap = epochs(6, 5).map((e) => (e.epoch === 3 ? { ...e, valAcc: null, valLoss: null } : e));
    const svg = curvesSvg([{ name: 'train only', epochs: epochs(5, 6, false), bestEpoch: 5 }, { name: 'gap', epochs: gap }]);
    expect(svg).not.toMatch(/data-run="0" data-series="val"/);
    expect(readSeries(svg, 'acc', 0, 'train')).toHaveLength(1);
    expect(readSeries(svg, 'loss', 0, 'train')[0]).toHaveLength(5);
    expect(readSeries(svg, 'acc', 1, 'val').map((seg) => seg.map(([e]) => Math.round(e)))).toEqual([[1, 2], [4, 5, 6]]);
    // With no validation the best epoch is marked on the training line.
    expect(svg).toMatch(/<circle class="best" data-run="0"/);
  });

  it('escapes run names (legend and title) and replaces characters XML cannot hold', () => {
    const svg = curvesSvg([{ name: `</text><script>alert("x")</script> & 'q'\u0001`, epochs: epochs(3, 7) }]);
    const legend = svg.match(/<text class="legend-name" data-run="0"[^>]*>([^<]*)<\/text>/);
    expect(legend?.[1]).toBe('&lt;/text&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;q&apos;\uFFFD');
    expect(svg).not.toContain('<script');
    expect(svg).toContain('<title>Training curves: &lt;/text&gt;');
    // Well formed: every & starts an entity, and no control character remains.
    expect(svg.match(/&(?!(amp|lt|gt|quot|apos);)/g)).toBeNull();
    expect(svg).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });

  it('is deterministic: the same runs give the same bytes, whatever order their epochs come in', () => {
    const runs = [{ name: 'a', epochs: epochs(9, 8), bestEpoch: 7 }, { name: 'b', epochs: epochs(4, 9) }];
    const svg = curvesSvg(runs);
    expect(curvesSvg(runs)).toBe(svg);
    expect(curvesSvg(runs.map((r) => ({ ...r, epochs: [...r.epochs].reverse() })))).toBe(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 880 ')).toBe(true);
    expect(svg).not.toMatch(/href|@import|url\(|<script|<foreignObject/);
  });

  it('draws one panel for --metric acc or loss', () => {
    const runs = [{ name: 'a', epochs: epochs(3, 10) }];
    for (const metric of ['acc', 'loss'] as const) {
      const svg = curvesSvg(runs, metric);
      expect(svg).toMatch(/viewBox="0 0 440 /);
      expect([...svg.matchAll(/<g class="panel" data-metric="(\w+)">/g)].map((m) => m[1])).toEqual([metric]);
    }
  });

  it('draws a one-epoch run as points inside the frame', () => {
    const svg = curvesSvg([{ name: 'one', epochs: epochs(1, 11), bestEpoch: 1 }]);
    const [seg] = readSeries(svg, 'acc', 0, 'val');
    expect(seg).toHaveLength(1);
    expect(seg![0]![0]).toBeCloseTo(1, 2);
  });

  it('gives each of up to 7 runs its own colour, and refuses an 8th rather than reuse one', () => {
    const runs = Array.from({ length: 7 }, (_, i) => ({ name: `r${i}`, epochs: epochs(4, 20 + i) }));
    const svg = curvesSvg(runs);
    const colours = runs.map((_, i) => svg.match(new RegExp(`<polyline class="curve" data-run="${i}" data-series="val"[^>]*stroke="(#[0-9A-F]{6})"`))![1]);
    expect(new Set(colours).size).toBe(7);
    expect(() => curvesSvg([...runs, { name: 'r7', epochs: epochs(4, 27) }])).toThrow(/8 runs given; one figure tells at most 7 apart/);
  });

  it('refuses no runs, and names a run that has no epochs yet', () => {
    expect(() => curvesSvg([])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/at least one run/) }));
    expect(() => curvesSvg([{ name: 'a', epochs: epochs(2, 12) }, { name: 'queued one', epochs: [] }])).toThrow(/Run "queued one" has no finished epoch yet/);
  });
});
