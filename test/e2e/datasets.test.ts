import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SplitCounts } from '../../src-shared/contract';
import { writeSynthCsv } from '../../src-main/data/synth';
import { launchBrowser, openPage, screenshot, serveWorkbench, type Served } from './harness';

let served: Served;
let browser: Browser;
let page: Page;
let dir: string;
let csv: string;
let counts: SplitCounts[];
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fer-e2e-ds-'));
  csv = join(dir, 'synth.csv');
  counts = writeSynthCsv(csv, { perClass: 30, seed: 7 });
  served = await serveWorkbench();
  browser = await launchBrowser();
  page = await openPage(browser, pageErrors, { width: 1400, height: 1000 });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Datasets view', () => {
  it('starts with an empty state that says what to do first', async () => {
    await page.goto(`${served.url}#/datasets`);
    await page.getByTestId('datasets-empty').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('datasets-empty').innerText()).toMatch(/Import/);
  });

  it('shows the service’s error where the import failed', async () => {
    await page.getByTestId('import-path').fill(join(dir, 'missing.csv'));
    await page.getByTestId('import-name').fill('nope');
    await page.getByTestId('import-button').click();
    const err = page.getByTestId('import-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.innerText()).toContain('missing.csv');
  });

  it('imports a synthetic CSV and draws its class chart per split and its face grid', async () => {
    await page.getByTestId('import-path').fill(csv);
    await page.getByTestId('import-name').fill('synth-e2e');
    await page.getByTestId('import-button').click();
    for (const s of counts) {
      const chart = page.getByTestId(`class-chart-${s.split}`);
      await chart.waitFor({ timeout: 60_000 });
      expect(await chart.getAttribute('data-counts')).toBe(s.perClass.join(','));
    }
    const total = counts.reduce((a, s) => a + s.total, 0);
    const grid = page.getByTestId('face-grid');
    await expect.poll(() => grid.getAttribute('data-total'), { timeout: 30_000 }).toBe(String(total));
    // Faces are really drawn from the fetched bytes: some cells hold image pixels, not placeholders.
    await expect.poll(async () => Number(await grid.getAttribute('data-drawn')), { timeout: 30_000 }).toBeGreaterThan(20);
    await page.getByTestId('split-table').waitFor();
    await page.getByTestId('duplicates').waitFor();
    await screenshot(page, 'datasets');
  });

  it('filters by split and label, and enlarges a clicked face with its metadata', async () => {
    const training = counts.find((c) => c.split === 'Training')!;
    await page.getByTestId('filter-split').selectOption('Training');
    await page.getByTestId('filter-label').selectOption('3');
    const grid = page.getByTestId('face-grid');
    await expect.poll(() => grid.getAttribute('data-total'), { timeout: 30_000 }).toBe(String(training.perClass[3]));
    await expect.poll(async () => Number(await grid.getAttribute('data-drawn')), { timeout: 30_000 }).toBe(training.perClass[3]); // all of them fit on one screen
    await grid.locator('canvas').click({ position: { x: 20, y: 20 } });
    const dialog = page.getByTestId('face-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.getByTestId('face-label').innerText()).toMatch(/^happy/);
    expect(await dialog.innerText()).toContain('Training');
    await screenshot(page, 'datasets-face');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // Keyboard: the grid takes focus, arrows move, Enter enlarges.
    await grid.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    expect(pageErrors).toEqual([]);
  });

  it('shows a training config the service refuses at the field it names', async () => {
    await page.goto(`${served.url}#/new`);
    await page.getByTestId('f-dataset').locator('option').first().waitFor({ state: 'attached' });
    await page.getByTestId('f-model').selectOption('vgg16');
    await page.getByTestId('f-inputSize').fill('40');
    await page.getByTestId('launch').click();
    // The form's own checks pass (32–256); the service knows VGG16 needs 48 and says so.
    await page.getByTestId('launch-error').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('launch-error').innerText()).toMatch(/inputSize/);
    expect(await page.getByTestId('err-inputSize').innerText()).toMatch(/48/);
    expect(await page.getByTestId('f-inputSize').getAttribute('aria-invalid')).toBe('true');
    await page.goto(`${served.url}#/runs`);
    await page.getByTestId('runs-empty').waitFor({ timeout: 10_000 });
  });
});
