import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../src-main/context';
import { call } from '../../src-main/services/dispatch';
import { handlers } from '../../src-main/services/index';
import { NUM_CLASSES, type Split } from '../../src-shared/labels';
import type { Workbench } from '../../src-main/context';
import { loadSplit } from '../../src-main/data/packed-store';
import { prng } from '../../src-main/engine/rng';
import { insertEvaluation } from '../../src-main/store/evaluations';
import { insertRun } from '../helpers/evaluations';
import { createSyntheticDataset } from '../helpers/fixtures';
import { tempDir } from '../helpers/workbench';
import { launchBrowser, openPage, screenshot, serveWorkbench, type Served } from './harness';

/** Uneven random probabilities, peaked on the label 80% of the time, so ranking by margin and by p(label) differ. */
function storeEval(wb: Workbench, runId: number, ds: number, split: Split, seed: number): number {
  const data = loadSplit(wb, ds, split);
  const r = prng(seed);
  const probs = new Float32Array(data.n * NUM_CLASSES);
  for (let i = 0; i < data.n; i++) {
    const peak = r() < 0.8 ? data.labels[i]! : Math.floor(r() * NUM_CLASSES);
    const w = Array.from({ length: NUM_CLASSES }, (_, k) => r() ** 2 + (k === peak ? 3 * r() : 0));
    const sum = w.reduce((a, b) => a + b, 0);
    w.forEach((v, k) => (probs[i * NUM_CLASSES + k] = v / sum));
  }
  return insertEvaluation(wb.db, { runId, ensembleId: null, datasetId: ds, split, checkpoint: 'best', tta: null, sampleIds: data.ids, labels: data.labels, probs }).id;
}

/**
 * The Evaluation view's "Likely label issues" panel over a home seeded in process: a run with a stored evaluation on PrivateTest and one on Training, the split it trained on. The panel must list exactly the
 * faces eval.labelIssues ranks first, and warn on the in-sample one.
 */
const home = tempDir('fer-e2e-issues-');
let served: Served;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let testEval: number;
let trainEval: number;
let expected: number[];
let bySelfConfidence: number[];

beforeAll(async () => {
  const wb = openWorkbench({ flag: home.dir });
  const ds = (await createSyntheticDataset(wb, { perClass: 20, balanced: true, testFraction: 1, seed: 9 })).id;
  const run = insertRun(wb, ds, 1, false);
  testEval = storeEval(wb, run, ds, 'PrivateTest', 31);
  trainEval = storeEval(wb, run, ds, 'Training', 32);
  const top = async (rankBy: 'margin' | 'self-confidence') => (await call(handlers, wb, 'eval.labelIssues', { evaluationId: testEval, limit: 8, rankBy })).items.map((x) => x.sampleId);
  expected = await top('margin');
  bySelfConfidence = await top('self-confidence');
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

describe('likely label issues in the Evaluation view', () => {
  it('lists the faces eval.labelIssues ranks first, with the confident joint, and warns on an in-sample evaluation', async () => {
    expect(expected.length).toBeGreaterThan(2);
    // The panel's ranking choice must reach the service: the two rankings differ here.
    expect(expected).not.toEqual(bySelfConfidence);
    await page.goto(`${served.url}#/evaluation/${testEval}`);
    await page.getByTestId('issues-rank').selectOption('margin');
    await page.getByTestId('issues-limit').fill('8');
    await page.getByTestId('issues-find').click();
    await expect.poll(() => page.getByTestId('issue-face').count(), { timeout: 30_000 }).toBe(expected.length);
    const shown = await page.getByTestId('issue-face').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-sample'))));
    expect(shown).toEqual(expected);
    expect(await page.getByTestId('issues-joint').locator('[data-count]').count()).toBe(49);
    expect(await page.getByTestId('issues-warning').count()).toBe(0);
    await screenshot(page, 'label-issues');

    await page.goto(`${served.url}#/evaluation/${trainEval}`);
    await page.getByTestId('issues-find').click();
    await page.getByTestId('issues-warning').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('issues-warning').innerText()).toMatch(/In-sample probabilities: evaluation \d+ is on Training/);
    expect(pageErrors).toEqual([]);
  });
});
