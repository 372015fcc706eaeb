import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot, serveWorkbench, type Served } from './harness';

/** A fresh home: every view must say what to do first, and the app must work from the keyboard. */
let served: Served;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  served = await serveWorkbench();
  browser = await launchBrowser();
  page = await openPage(browser, pageErrors, { width: 1280, height: 800 });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('empty states and keyboard use', () => {
  const cases = [
    { view: 'datasets', testid: 'datasets-empty', says: /Import/ },
    { view: 'new', testid: 'new-empty', says: /Import a dataset first/ },
    { view: 'runs', testid: 'runs-empty', says: /New experiment/ },
    { view: 'evaluation', testid: 'eval-empty', says: /finished run/ },
    { view: 'compare', testid: 'compare-empty', says: /Train a few runs/ },
    { view: 'studies', testid: 'study-new-empty', says: /Import one in Datasets/ },
  ];
  for (const c of cases) {
    it(`#/${c.view} tells the user what to do first`, async () => {
      await page.goto(`${served.url}#/${c.view}`);
      const empty = page.getByTestId(c.testid);
      await empty.waitFor({ timeout: 30_000 });
      expect(await empty.innerText()).toMatch(c.says);
      expect(await page.locator('[role="alert"]').count()).toBe(0);
      if (c.view === 'new') await screenshot(page, 'empty-new');
    });
  }

  it('navigates by keyboard with a visible focus ring', async () => {
    await page.goto(`${served.url}#/datasets`);
    await page.getByTestId('datasets-empty').waitFor();
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab'); // first nav link
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { text: el.textContent, outline: style.outlineStyle, width: style.outlineWidth };
    });
    expect(focused.text).toBe('Datasets');
    expect(focused.outline).toBe('solid');
    expect(parseFloat(focused.width)).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByTestId('runs-empty').waitFor({ timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  });
});
