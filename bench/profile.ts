import * as tf from '@tensorflow/tfjs';

export interface KernelShare {
  kernel: string;
  ms: number;
  calls: number;
  share: number;
}

/**
 * Per-kernel time of one call of `f`, from tf.profile. Ops that only wrap a kernel (names ending "__op") are left
 * out so each millisecond is counted once.
 */
export async function kernelProfile(f: () => void): Promise<{ totalMs: number; kernels: KernelShare[]; calls: KernelShare[] }> {
  const info = await tf.profile(f);
  const by = new Map<string, { ms: number; calls: number }>();
  const byShape = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    for (const [map, key] of [
      [by, k.name],
      [byShape, `${k.name} ${k.inputShapes.map((s) => `[${s?.join(',') ?? ''}]`).join(' ')}`],
    ] as const) {
      const e = map.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls += 1;
      map.set(key, e);
    }
  }
  const totalMs = [...by.values()].reduce((a, e) => a + e.ms, 0);
  const table = (m: Map<string, { ms: number; calls: number }>) =>
    [...m.entries()]
      .map(([kernel, e]) => ({ kernel, ms: round(e.ms), calls: e.calls, share: round(e.ms / totalMs, 3) }))
      .sort((a, b) => b.ms - a.ms);
  return { totalMs: round(totalMs), kernels: table(by), calls: table(byShape).slice(0, 25) };
}

export function formatProfile(title: string, p: { totalMs: number; kernels: KernelShare[]; calls: KernelShare[] }): string {
  const row = (k: KernelShare) => `  ${k.kernel.padEnd(24)} ${k.ms.toFixed(1).padStart(8)} ms  ${(k.share * 100).toFixed(1).padStart(5)}%  ×${k.calls}`;
  const rows = p.kernels.filter((k) => k.share >= 0.005).map(row);
  return [`${title}: ${p.totalMs.toFixed(1)} ms in kernels`, ...rows, '  by input shapes (top 25):', ...p.calls.map(row)].join('\n');
}

function round(v: number, digits = 1): number {
  const m = 10 ** digits;
  return Math.round(v * m) / m;
}
