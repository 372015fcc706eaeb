import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferSucceeds } from '../helpers/fer-cli';
import { launchBrowser, serveWorkbench, type Served } from './harness';

/**
 * The face grid at FER2013's size (35,876 synthetic faces). Opt-in, because building the dataset takes ~45 s:
 *   FER_GRID_BENCH=1 npx vitest run --project e2e test/e2e/grid-scale.test.ts
 * It prints frame times while scrolling (a measurement, not a pass/fail line) and checks what must hold at
 * any speed: one canvas whatever the count, faces fetched page by page on demand, never all at once.
 */
const ENABLED = process.env.FER_GRID_BENCH === '1';
const DIR = process.env.FER_GRID_DIR ?? '/tmp/fer-grid-bench';

let served: Served;
let browser: Browser;

beforeAll(async () => {
  if (!ENABLED) return;
  const home = join(DIR, 'home');
  if (!existsSync(join(home, 'ready'))) {
    mkdirSync(home, { recursive: true });
    await ferSucceeds(['synth', '--out', join(DIR, 'src'), '--per-class', '4100', '--seed', '2']);
    await ferSucceeds(['import', join(DIR, 'src', 'fer2013.csv'), '--name', 'full-size', '--home', home]);
    execFileSync('touch', [join(home, 'ready')]);
  }
  served = await serveWorkbench(home);
  browser = await launchBrowser();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe.skipIf(!ENABLED)('face grid at full FER2013 size', () => {
  it('scrolls 35,876 faces on one canvas, fetching pages on demand', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    let sampleCalls = 0;
    page.on('websocket', (ws) => ws.on('framesent', (f) => { if (String(f.payload).includes('"datasets.samples"')) sampleCalls++; }));
    await page.goto(`${served.url}#/datasets`);
    const grid = page.getByTestId('face-grid');
    await expect.poll(() => grid.getAttribute('data-total'), { timeout: 60_000 }).toBe('35876');
    const result = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid="face-grid"]') as HTMLElement;
      const frames: number[] = [];
      let emptyFrames = 0;
      let last = performance.now();
      const maxTop = el.scrollHeight - el.clientHeight;
      // 100 px a frame (6,000 px/s, a brisk wheel), 600 frames.
      for (let i = 1; i <= 600; i++) {
        el.scrollTop = Math.min(maxTop, i * 100);
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const now = performance.now();
        frames.push(now - last);
        last = now;
        if (Number(el.dataset.drawn) === 0) emptyFrames++;
      }
      frames.sort((a, b) => a - b);
      const q = (p: number) => Math.round(frames[Math.floor(frames.length * p)]! * 10) / 10;
      return { frames: frames.length, p50: q(0.5), p95: q(0.95), max: q(0.999), emptyFrames, canvases: el.querySelectorAll('canvas').length };
    });
    console.log(`grid-scale: ${JSON.stringify({ ...result, sampleCalls })}`);
    expect(result.canvases).toBe(1);
    // 600 frames × 100 px covered ~1,100 rows of ~23 faces: a few hundred pages at most, not 35,876 faces at once.
    expect(sampleCalls).toBeGreaterThan(10);
    expect(sampleCalls).toBeLessThan(200);
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="face-grid"]') as HTMLElement;
      el.scrollTop = el.scrollHeight; // the very end
    });
    await expect.poll(async () => Number(await grid.getAttribute('data-drawn')), { timeout: 15_000 }).toBeGreaterThan(0);
  });
});
