import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../src-main/context';
import { call } from '../../src-main/services/dispatch';
import { handlers } from '../../src-main/services/index';
import { EMOTIONS } from '../../src-shared/labels';
import { fakeEval, insertRun } from '../helpers/evaluations';
import { createSyntheticDataset } from '../helpers/fixtures';
import { tempDir } from '../helpers/workbench';
import { launchBrowser, openPage, screenshot, serveWorkbench, type Served } from './harness';

/**
 * Dataset revisions in the UI: from the label-issues panel a new revision is made and the first flagged face relabelled
 * as the suggested class, the second excluded; the Data view's Revisions panel then shows exactly those changes (as
 * revisions.diff stores them), and the panel's contact sheet downloads as a PNG.
 */
const home = tempDir('fer-e2e-revisions-');
let served: Served;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let evalId: number;
let items: { sampleId: number; givenLabel: number; suggestedLabel: number }[];

beforeAll(async () => {
  const wb = openWorkbench({ flag: home.dir });
  const ds = (await createSyntheticDataset(wb, { perClass: 12, balanced: true, testFraction: 1, seed: 13, name: 'rev-ui' })).id;
  evalId = fakeEval(wb, insertRun(wb, ds, 1, false), ds, 'PrivateTest', 0.7, 4);
  items = (await call(handlers, wb, 'eval.labelIssues', { evaluationId: evalId, limit: 4 })).items;
  await wb.close();
  served = await serveWorkbench(home.dir);
  browser = await launchBrowser();
  page = await openPage(browser, pageErrors, { width: 1280, height: 900 });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  home.cleanup();
});

describe('dataset revisions in the UI', () => {
  it('relabels and excludes flagged faces into a new revision, shown in the Data view', async () => {
    expect(items.length).toBe(4);
    await page.goto(`${served.url}#/evaluation/${evalId}`);
    await page.getByTestId('issues-limit').fill('4');
    await page.getByTestId('issues-find').click();
    await expect.poll(() => page.getByTestId('issue-face').count(), { timeout: 30_000 }).toBe(4);
    await page.getByTestId('issues-revision-name').fill('ui-clean');
    await page.getByTestId('issues-revision-create').click();
    await expect.poll(() => page.getByTestId('issues-revision-select').inputValue()).not.toBe('');
    const face = (k: number) => page.locator(`[data-testid="revision-actions"][data-sample="${items[k]!.sampleId}"]`);
    await face(0).getByTestId('revision-relabel').click();
    await face(0).getByTestId('revision-state').waitFor();
    expect(await face(0).getByTestId('revision-state').innerText()).toBe(`relabelled as ${EMOTIONS[items[0]!.suggestedLabel]} in “ui-clean”`);
    await face(1).getByTestId('revision-exclude').click();
    await face(1).getByTestId('revision-state').waitFor();

    const download = page.waitForEvent('download');
    await page.getByTestId('issues-sheet').click();
    const file = await (await download).path();
    const meta = await sharp(readFileSync(file)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 8 + 4 * 112 + 3 * 6 + 8, 8 + 96 + 32 + 8]);

    await page.goto(`${served.url}#/datasets`);
    await page.getByTestId('revision-change').first().waitFor({ timeout: 30_000 });
    const shown = await page.getByTestId('revision-change').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-sample'))));
    expect(shown.sort((a, b) => a - b)).toEqual([items[0]!.sampleId, items[1]!.sampleId].sort((a, b) => a - b));
    expect(await page.getByTestId('revision-summary').innerText()).toMatch(/ui-clean: 1 relabelled, 1 excluded/);
    expect(await page.getByTestId('revision-diff').innerText()).toMatch(/PrivateTest[\s\S]*→/);
    await screenshot(page, 'revisions');

    const wb = openWorkbench({ flag: home.dir });
    try {
      const diff = await call(handlers, wb, 'revisions.diff', { revision: 'ui-clean' });
      expect(diff.changes.map((c) => [c.sampleId, c.kind, c.newLabel, c.evaluationId]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
        [
          [items[0]!.sampleId, 'relabel', items[0]!.suggestedLabel, evalId],
          [items[1]!.sampleId, 'exclude', null, evalId],
        ].sort((a, b) => Number(a[0]) - Number(b[0])),
      );
    } finally {
      await wb.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
