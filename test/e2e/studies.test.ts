import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../src-main/context';
import { createSyntheticDataset } from '../helpers/fixtures';
import { tempDir } from '../helpers/workbench';
import { launchBrowser, openPage, screenshot, serveWorkbench, type Served } from './harness';

/**
 * A study from the UI: the form's own and the service's refusals, then a 2-member grid (classWeights false/true,
 * one seed, one epoch on 32 faces at 32 px) trained for real, watched to completion, evaluated, tabulated by its
 * axis, exported as Markdown, paused and resumed.
 */
let served: Served;
let browser: Browser;
let page: Page;
const home = tempDir('fer-e2e-studies-');
const pageErrors: string[] = [];

beforeAll(async () => {
  const wb = openWorkbench({ flag: home.dir });
  await createSyntheticDataset(wb, { perClass: 8, seed: 19, balanced: true, name: 'syn' });
  await wb.close();
  served = await serveWorkbench(home.dir);
  browser = await launchBrowser();
  page = await openPage(browser, pageErrors, { width: 1400, height: 1000 });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  home.cleanup();
});

describe('Studies', () => {
  it('creates a study from a preset, trains its grid live, and exports the table grouped by its axis', async () => {
    await page.goto(`${served.url}#/studies`);
    await page.getByTestId('studies-empty').waitFor({ timeout: 30_000 });
    await page.getByTestId('s-dataset').locator('option').first().waitFor({ state: 'attached', timeout: 30_000 });
    await expect.poll(() => page.getByTestId('s-preset').inputValue()).toBe('baseline');
    await page.getByTestId('s-name').fill('cw');
    await page.getByTestId('s-epochs').fill('1');
    await page.getByTestId('s-limitTrain').fill('32');
    await page.getByTestId('s-inputSize').fill('32');
    await page.getByTestId('s-augment').uncheck();
    await page.getByTestId('axis-field-0').selectOption('classWeights');
    await page.getByTestId('axis-values-0').fill('false, true');
    await page.getByTestId('s-reference').check();

    // The form's own check: inline, on the input, nothing sent.
    await page.getByTestId('s-seeds').fill('1, 1');
    await page.getByTestId('study-create').click();
    expect(await page.getByTestId('serr-seeds').innerText()).toBe('A seed is listed twice.');
    expect(await page.getByTestId('s-seeds').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('s-seeds').fill('1');
    expect(await page.getByTestId('study-member-count').innerText()).toMatch(/^2 of at most 200 members/);

    // The service's check (a batch larger than the training faces), shown next to the form; nothing stored.
    await page.getByTestId('s-batch').fill('4000');
    await page.getByTestId('study-create').click();
    await expect.poll(() => page.getByTestId('study-create-error').innerText(), { timeout: 10_000 }).toMatch(/member classWeights=false \(seed 1\).*batch 4000 is larger than the 32 training samples/);
    expect(await page.getByTestId('studies-empty').count()).toBe(1);

    await page.getByTestId('s-batch').fill('16');
    // The time estimate: a few batches timed in the evaluation process, scaled to the plan (one setup, two members).
    await page.getByTestId('study-estimate').click();
    await expect.poll(() => page.getByTestId('study-estimate-text').innerText(), { timeout: 30_000 }).toMatch(/^at most \d+(s|m \d\ds) \(baseline 32×32, batch 16, FC 256: \d\.\d{3} s a batch\)/);
    await page.getByTestId('study-create').click();
    await page.waitForURL(/#\/studies\/\d+$/, { timeout: 10_000 });
    const grid = page.locator('[data-testid="study-grid"] tbody tr');
    await expect.poll(() => grid.count(), { timeout: 10_000 }).toBe(2);
    expect(await grid.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent))).toEqual(['false', 'true']);

    // The grid follows the members (events and polling) until both finished, without a reload.
    await expect
      .poll(async () => grid.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status'))), { timeout: 90_000, interval: 250 })
      .toEqual(['completed', 'completed']);
    expect(await page.locator('[data-testid="study-grid"] [data-testid="run-status"]').allInnerTexts()).toEqual(['completed', 'completed']);
    await expect.poll(() => page.getByTestId('study-progress').innerText()).toMatch(/^2 completed/);
    const list = page.locator('[data-testid="studies-table"] tbody tr');
    expect(await list.count()).toBe(1);
    await expect.poll(() => list.first().getByTestId(/^study-counts-/).innerText()).toBe('2: 2 completed');

    // Each member is evaluated on PrivateTest as it finishes (the form's default): its accuracy shows in the grid
    // and the results, grouped by the axis, have both rows without anyone clicking "evaluate".
    const accs = page.locator('[data-testid^="member-acc-"]');
    await expect.poll(() => accs.allInnerTexts(), { timeout: 30_000, interval: 250 }).toEqual([expect.stringMatching(/^\d+\.\d\d%$/), expect.stringMatching(/^\d+\.\d\d%$/)]);
    const rows = page.locator('[data-testid="study-results"] tbody tr');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-missing'))), { timeout: 10_000 }).toEqual(['0', '0']);
    expect(await rows.locator('th').allInnerTexts()).toEqual(['classWeights=false', 'classWeights=true']);
    // An ensemble of each cell's best seed joins the table as a row.
    await page.getByTestId('study-ensemble-build').click();
    await expect.poll(() => page.getByTestId('study-ensemble').innerText(), { timeout: 10_000 }).toMatch(/^Ensemble #\d+: the best seed of each cell \(soft vote\)/);
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
    await expect.poll(() => page.getByTestId('study-progress').innerText()).toBe('2 completed');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('study-export-md').click()]);
    expect(download.suggestedFilename()).toBe('cw.md');
    const md = readFileSync((await download.path())!, 'utf8');
    expect((await page.getByTestId('study-export-text').innerText()).trim()).toBe(md.trim());
    const groups = md.split('\n').filter((l) => /^\| classWeights=/.test(l));
    expect(groups).toHaveLength(2);
    expect(groups[0]).toMatch(/^\| classWeights=false \| 1 \|/);
    expect(groups[1]).toMatch(/^\| classWeights=true \| 1 \|/);
    // The paper's baseline number beside each row (the study carries the paper's Table 2 as its reference).
    expect(md).toContain('| Paper (%) | Δ vs paper (pts) |');
    for (const g of groups) expect(g).toMatch(/\| 66\.37 \| -?\d+\.\d\d \|$/);
    await screenshot(page, 'study');

    // Pause and resume: the study's state, with nothing left to queue.
    await page.getByTestId('study-pause').click();
    await expect.poll(() => page.getByTestId('study-detail').getAttribute('data-status')).toBe('paused');
    // Extended by a seed while paused: two new members, left stopped, the finished ones kept.
    await page.getByTestId('study-extend-seeds').fill('2');
    await page.getByTestId('study-extend').click();
    await expect.poll(() => grid.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status'))), { timeout: 10_000 }).toEqual(['completed', 'completed', 'stopped', 'stopped']);
    await page.getByTestId('study-resume').click();
    await expect.poll(() => page.getByTestId('study-detail').getAttribute('data-status')).toBe('active');
    await expect.poll(() => grid.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status'))), { timeout: 90_000, interval: 250 }).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(pageErrors).toEqual([]);
  });
});
