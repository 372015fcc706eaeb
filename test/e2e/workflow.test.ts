import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthCsv } from '../../src-main/data/synth';
import { launchBrowser, openPage, screenshot, serveWorkbench, type Served } from './harness';

/**
 * The researcher's path through the UI, in order, on one server: import → train (two seeds, watched live)
 * → evaluate and drill into a confusion cell → compare the two runs and export Markdown.
 */
let served: Served;
let browser: Browser;
let page: Page;
let dir: string;
let runIds: number[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fer-e2e-wf-'));
  writeSynthCsv(join(dir, 'synth.csv'), { perClass: 40, seed: 11 });
  served = await serveWorkbench();
  browser = await launchBrowser();
  page = await openPage(browser, pageErrors, { width: 1400, height: 1000 });
  await page.goto(`${served.url}#/datasets`);
  await page.getByTestId('import-path').fill(join(dir, 'synth.csv'));
  await page.getByTestId('import-name').fill('wf');
  await page.getByTestId('import-button').click();
  await page.getByTestId('class-chart-Training').waitFor({ timeout: 60_000 });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  status: string | null;
  counter: string;
  points: number;
}

describe('the experiment workflow in the browser', () => {
  it('launches a short baseline run from the form and shows its epochs and curves live', async () => {
    await page.goto(`${served.url}#/new`);
    await page.getByTestId('f-dataset').locator('option').first().waitFor({ state: 'attached' });
    await page.getByTestId('f-model').selectOption('baseline');
    await page.getByTestId('f-augment').uncheck();
    await page.getByTestId('f-batch').fill('32');
    await page.getByTestId('f-limitTrain').fill('200');
    await page.getByTestId('f-replicates').fill('2');
    // A bad value is caught inline before any run is queued.
    await page.getByTestId('f-epochs').fill('0');
    await page.getByTestId('f-mixup').fill('9');
    await page.getByTestId('launch').click();
    expect(await page.getByTestId('err-epochs').innerText()).toMatch(/Epochs must be/);
    expect(await page.getByTestId('f-epochs').getAttribute('aria-invalid')).toBe('true');
    // Its limit comes from the contract's schema (α at most 4).
    expect(await page.getByTestId('err-mixup').innerText()).toMatch(/mixup α must be .*4/);
    await screenshot(page, 'new-experiment');
    await page.getByTestId('f-epochs').fill('2');
    await page.getByTestId('f-mixup').fill('0.2');
    await page.getByTestId('f-ema').fill('0.99');
    await page.getByTestId('launch').click();

    // Two replicates: the list shows both; the second waits in the queue, so its page sees it start.
    await page.waitForURL(/#\/runs$/, { timeout: 30_000 });
    const rows = page.locator('[data-testid="runs-table"] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    runIds = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-run'))))).sort((a, b) => a - b);
    const watched = runIds[1]!;
    await page.getByTestId(`run-link-${watched}`).click();
    await page.getByTestId('run-page').waitFor();

    // Sample what the page shows while the run streams; nothing here re-fetches, so changes come from events.
    const seen: Seen[] = [];
    const deadline = Date.now() + 240_000;
    for (;;) {
      const s: Seen = {
        status: await page.getByTestId('run-page').getAttribute('data-status'),
        counter: await page.getByTestId('epoch-counter').innerText(),
        points: Number(await page.getByTestId('loss-chart').getAttribute('data-points')),
      };
      if (seen.at(-1)?.status !== s.status || seen.at(-1)?.counter !== s.counter || seen.at(-1)?.points !== s.points) seen.push(s);
      if (s.status === 'completed' || s.status === 'failed') break;
      if (Date.now() > deadline) throw new Error(`run ${watched} did not finish: ${JSON.stringify(seen)}`);
      await page.waitForTimeout(100);
    }
    const failure = (await page.getByTestId('run-failure').count()) ? await page.getByTestId('run-failure').innerText() : '';
    expect(seen.at(-1)!.status, failure).toBe('completed');
    // It was seen running with one epoch on the chart before it had both: the curves grew live.
    expect(seen.some((s) => s.status === 'running' && s.points === 1), JSON.stringify(seen)).toBe(true);
    expect(seen.some((s) => s.status === 'running' && /^[12] \/ 2$/.test(s.counter)), JSON.stringify(seen)).toBe(true);
    expect(seen.at(-1)!.counter).toBe('2 / 2');
    await expect.poll(() => page.getByTestId('loss-chart').getAttribute('data-points'), { timeout: 10_000 }).toBe('2');
    expect(await page.getByTestId('acc-chart').getAttribute('data-points')).toBe('2');
    expect(await page.getByTestId('run-backend').innerText()).toMatch(/Backend: \w+/);
    expect(await page.getByTestId('run-targets').innerText()).toBe('mixup α 0.2');
    expect(await page.getByTestId('run-averaging').innerText()).toMatch(/^EMA 0\.99: validation and the best checkpoint use the running average/);
    await screenshot(page, 'run');

    await page.goto(`${served.url}#/runs`);
    await expect.poll(() => page.locator('[data-testid="runs-table"] tr[data-status="completed"]').count(), { timeout: 120_000 }).toBe(2);
    await screenshot(page, 'runs');
  });

  it('evaluates the run, and a click on an off-diagonal cell shows exactly its faces with probability bars', async () => {
    expect(runIds).toHaveLength(2);
    for (const id of runIds) {
      await page.goto(`${served.url}#/evaluation/run/${id}`);
      await expect.poll(() => page.getByTestId('eval-run').inputValue(), { timeout: 10_000 }).toBe(String(id));
      await page.getByTestId('eval-split').selectOption('PrivateTest');
      await page.getByTestId('eval-button').click();
      await page.waitForURL(/#\/evaluation\/\d+$/, { timeout: 120_000 });
      await page.getByTestId('eval-detail').waitFor({ timeout: 30_000 });
    }
    // The second evaluation is open; find a non-empty mistake.
    const cells = await page.locator('[data-testid="confusion"] button[data-count]').evaluateAll((bs) =>
      bs.map((b) => ({ t: Number(b.getAttribute('data-t')), p: Number(b.getAttribute('data-p')), n: Number(b.getAttribute('data-count')) })),
    );
    expect(cells).toHaveLength(49);
    const total = cells.reduce((a, c) => a + c.n, 0);
    expect(total).toBeGreaterThan(0);
    const mistake = cells.filter((c) => c.t !== c.p && c.n > 0).sort((a, b) => a.n - b.n)[0];
    expect(mistake, 'a 2-epoch model on 200 faces makes mistakes').toBeDefined();
    // Keyboard: the matrix is one tab stop; arrows move between cells and Enter opens one.
    const first = page.getByTestId('cell-0-0');
    await first.focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('cell-1-0');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('cell-review').getAttribute('data-total')).toBe(String(cells.find((c) => c.t === 1 && c.p === 0)!.n));
    await page.getByTestId(`cell-${mistake!.t}-${mistake!.p}`).click();
    const review = page.getByTestId('cell-review');
    await expect.poll(() => review.getAttribute('data-total'), { timeout: 30_000 }).toBe(String(mistake!.n));
    const faces = review.getByTestId('cell-face');
    await expect.poll(() => faces.count(), { timeout: 30_000 }).toBe(Math.min(mistake!.n, 24));
    expect(await review.getByTestId('prob-bar').count()).toBe(Math.min(mistake!.n, 24));
    // Most confident mistakes first.
    const conf = (await faces.evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('data-confidence')))));
    expect(conf).toEqual([...conf].sort((a, b) => b - a));
    // Side by side with the other run's evaluation of the same faces.
    await review.getByTestId('review-compare').selectOption({ index: 1 });
    await expect.poll(() => review.getByTestId('prob-bar').count(), { timeout: 30_000 }).toBe(2 * Math.min(mistake!.n, 24));
    await page.getByTestId('per-class').waitFor();
    await page.getByTestId('reliability').waitFor({ timeout: 30_000 });
    // Run versus run: the other seed's evaluation of the same faces.
    await page.getByTestId('diff-select').selectOption({ index: 1 });
    await expect.poll(() => page.getByTestId('diff-summary').innerText(), { timeout: 30_000 }).toMatch(/\d+ fixed, \d+ broken/);
    await page.getByTestId('diff-matrix').waitFor();
    await screenshot(page, 'evaluation');
    // The epoch scrubber shows the per-epoch validation matrices; those cells are not drillable.
    const scrubber = page.getByTestId('epoch-scrubber');
    await scrubber.fill('0');
    expect(await page.getByTestId('scrub-label').innerText()).toMatch(/^epoch 1 · PublicTest/);
    expect(await page.locator('[data-testid="confusion"] button').count()).toBe(0);
    expect(await page.locator('[data-testid="confusion"] [data-count]').count()).toBe(49);
    await scrubber.fill('2');
    await expect.poll(() => page.locator('[data-testid="confusion"] button').count()).toBe(49);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'evaluation-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    // Flip TTA: no augmented views, the mirror ticked: an evaluation of 2 views (the mirror was not offered alone).
    await page.goto(`${served.url}#/evaluation/run/${runIds[0]}`);
    await expect.poll(() => page.getByTestId('eval-run').inputValue(), { timeout: 10_000 }).toBe(String(runIds[0]));
    expect(await page.getByTestId('eval-mirror').isChecked()).toBe(false);
    await page.getByTestId('eval-tta').fill('2');
    await expect.poll(() => page.getByTestId('eval-mirror').isChecked()).toBe(true);
    await page.getByTestId('eval-tta').fill('0');
    await page.getByTestId('eval-mirror').check();
    await page.getByTestId('eval-split').selectOption('PrivateTest');
    await page.getByTestId('eval-button').click();
    await page.waitForURL(/#\/evaluation\/\d+$/, { timeout: 120_000 });
    const flipId = Number(/(\d+)$/.exec(page.url())![1]);
    const views = page.getByTestId(`eval-views-${flipId}`);
    await expect.poll(() => views.innerText(), { timeout: 30_000 }).toBe('2');
    expect(await views.getAttribute('title')).toBe('TTA 2 views (flip)');
  });

  it('compares the two runs and exports the table to a Markdown file with one row per run', async () => {
    await page.goto(`${served.url}#/compare`);
    for (const id of runIds) await page.getByTestId(`pick-run-${id}`).check();
    const table = page.getByTestId('compare-table');
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 30_000 }).toBe(2);
    const out = join(dir, 'compare.md');
    await page.getByTestId('fmt-md').check();
    await page.getByTestId('export-path').fill(out);
    await page.getByTestId('export-button').click();
    await page.getByTestId('export-saved').waitFor({ timeout: 30_000 });
    const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('|'));
    expect(lines[0]).toMatch(/^\| Row \| n \| Runs \| Seeds \|/);
    expect(lines[1]).toMatch(/^\| -+ \|/);
    const body = lines.slice(2);
    expect(body).toHaveLength(2);
    for (const id of runIds) expect(body.filter((l) => l.split('|')[3]!.trim() === String(id))).toHaveLength(1);
    // Grouped by model, the two seeds become one row with mean ± std.
    await page.getByTestId('compare-group').selectOption('model');
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 30_000 }).toBe(1);
    expect(await table.locator('tbody tr').first().innerText()).toContain('±');
    // The selection becomes an ensemble of the two runs' PrivateTest evaluations.
    await page.getByTestId('ensemble-name').fill('two seeds');
    await page.getByTestId('ensemble-button').click();
    await page.getByTestId('ensemble-made').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('ensemble-made').innerText()).toMatch(/two seeds: [\d.]+% on PrivateTest/);
    await page.locator('[data-testid^="pick-ensemble-"]').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'compare');
    expect(pageErrors).toEqual([]);
  });

  it('stops a running run from its page', async () => {
    await page.goto(`${served.url}#/new`);
    await page.getByTestId('f-replicates').fill('1');
    await page.getByTestId('f-limitTrain').fill('64');
    await page.getByTestId('f-batch').fill('16');
    await page.getByTestId('f-epochs').fill('30');
    await page.getByTestId('launch').click();
    await page.waitForURL(/#\/runs\/\d+$/, { timeout: 30_000 });
    const runPage = page.getByTestId('run-page');
    await expect.poll(() => runPage.getAttribute('data-status'), { timeout: 60_000 }).toBe('running');
    // Batch progress events drive throughput and ETA while it trains.
    await expect.poll(() => page.getByTestId('throughput').innerText(), { timeout: 60_000 }).toMatch(/^\d+ img\/s$/);
    await expect.poll(() => page.getByTestId('eta').innerText(), { timeout: 60_000 }).toMatch(/\d+s$/);
    await screenshot(page, 'run-live');

    // Renamed while it trains (the name is metadata): a blank name is refused with the field named, Escape puts the
    // title back, Enter saves; the title shows the new name without a reload.
    const title = page.locator('#run-title');
    const before = await title.innerText();
    await page.getByTestId('run-rename').click();
    await page.getByTestId('run-name-input').fill('   ');
    await page.getByTestId('run-rename-save').click();
    expect(await page.getByTestId('rename-error').innerText()).toMatch(/name: a run needs a name/);
    await page.getByTestId('run-name-input').press('Escape');
    expect(await page.getByTestId('run-name-input').count()).toBe(0);
    expect(await title.innerText()).toBe(before);
    await page.getByTestId('run-rename').click();
    expect(await page.getByTestId('run-name-input').inputValue()).toBe(before.replace(/^#\d+ /, ''));
    await page.getByTestId('run-name-input').fill('Baseline, stopped early');
    await page.getByTestId('run-name-input').press('Enter');
    await expect.poll(() => title.innerText(), { timeout: 10_000 }).toMatch(/^#\d+ Baseline, stopped early$/);
    expect(await runPage.getAttribute('data-status')).toMatch(/running|stopping|stopped/);

    const t0 = Date.now();
    await page.getByTestId('stop-run').click();
    await expect.poll(() => runPage.getAttribute('data-status'), { timeout: 10_000 }).toMatch(/stopping|stopped/);
    await expect.poll(() => runPage.getAttribute('data-status'), { timeout: 120_000 }).toBe('stopped');
    console.log(`stop took ${Date.now() - t0} ms`);
    expect(await page.getByTestId('stop-run').count()).toBe(0);
    expect(await page.getByTestId('epoch-counter').innerText()).not.toBe('30 / 30');
    // The runs list has the new name too (the run.status event of the rename, then the stop's).
    await page.goto(`${served.url}#/runs`);
    await expect.poll(() => page.getByTestId('runs-table').innerText(), { timeout: 10_000 }).toContain('Baseline, stopped early');
    expect(pageErrors).toEqual([]);
  });
});
