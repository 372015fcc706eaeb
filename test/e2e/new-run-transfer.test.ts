import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyntheticDataset } from '../helpers/fixtures';
import { tempDir } from '../helpers/workbench';
import { openWorkbench } from '../../src-main/context';
import { launchBrowser, openPage, screenshot, serveWorkbench, type Served } from './harness';

/** The new-experiment form's pretrained-model fields: the freeze bound and the feature-cache hint. */
let served: Served;
let browser: Browser;
let page: Page;
const home = tempDir('fer-e2e-transfer-');
const pageErrors: string[] = [];

beforeAll(async () => {
  // A tiny dataset straight into the home (the form needs one); the server then opens the same home.
  const wb = openWorkbench({ flag: home.dir });
  await createSyntheticDataset(wb, { perClass: 2, seed: 3, balanced: true, name: 'tiny' });
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

describe('New experiment: pretrained models', () => {
  it('bounds freeze by the base and says whether the feature cache applies, as the user edits', async () => {
    await page.goto(`${served.url}#/new`);
    await page.getByTestId('f-dataset').locator('option').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.getByTestId('f-model').selectOption('vgg16');
    const freeze = page.getByTestId('f-freeze');
    const hint = page.getByTestId('cache-hint');
    await freeze.fill('20');
    // Inline, before any launch attempt.
    await expect.poll(() => page.getByTestId('err-freeze').innerText()).toMatch(/19 layers.*freeze at most 19/);
    expect(await freeze.getAttribute('aria-invalid')).toBe('true');
    expect(await freeze.getAttribute('max')).toBe('19');

    await freeze.fill('19');
    await expect.poll(() => page.getByTestId('err-freeze').innerText()).toBe('');
    await page.getByTestId('f-cacheFeatures').check();
    // Augmentation is on by default: its rotation, zoom and shift change the base's input, so no cache.
    await expect.poll(() => hint.innerText()).toMatch(/rotation, zoom or shift changes the base's input/);
    await page.getByTestId('f-augment').uncheck();
    await expect.poll(() => hint.innerText()).toMatch(/Feature caching applies/);
    await screenshot(page, 'new-run-feature-cache');
    await freeze.fill('12');
    await expect.poll(() => hint.innerText()).toMatch(/first 12 of vgg16's 19 base layers: their outputs are computed once/);
    expect(pageErrors).toEqual([]);
  });

  it("faceres' multilevel preset: the Head reads select, the freeze bound of 59 and selection by accuracy; the select leaves with the model", async () => {
    await page.goto(`${served.url}#/new`);
    await page.getByTestId('f-dataset').locator('option').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.getByTestId('f-preset').selectOption('faceres-multilevel');
    await expect.poll(() => page.getByTestId('f-features').inputValue()).toBe('multilevel');
    expect(await page.getByTestId('f-freeze').getAttribute('max')).toBe('59');
    expect(await page.getByTestId('f-monitor').inputValue()).toBe('valAcc');
    expect(await page.getByTestId('cache-hint').innerText()).toMatch(/Feature caching applies/);
    // The final pool alone has 56 layers: 59 is now beyond the base.
    await page.getByTestId('f-features').selectOption('final');
    await expect.poll(() => page.getByTestId('err-freeze').innerText()).toMatch(/56 layers.*freeze at most 56/);
    await screenshot(page, 'new-run-multilevel');
    await page.getByTestId('f-model').selectOption('mobilefacenet');
    await expect.poll(() => page.getByTestId('f-features').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
