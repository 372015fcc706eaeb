import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot, serveWorkbench, type Served } from './harness';

let served: Served;
let browser: Browser;

beforeAll(async () => {
  served = await serveWorkbench();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the workbench shell through the browser bridge', () => {
  it('renders the backend and doctor info from a real contract call', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, errors);
    await page.goto(served.url);
    await page.getByTestId('backend-badge').waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: /system/i }).click();
    const wasmRow = page.locator('[data-backend="wasm"]');
    await expect(wasmRow.getAttribute('data-usable')).resolves.toBe('true');
    await expect(page.locator('[data-backend="cpu"]').getAttribute('data-usable')).resolves.toBe('true');
    const gpuReason = await page.locator('[data-backend="tensorflow-gpu"]').innerText();
    expect(gpuReason).toMatch(/not installed|failed to load|no usable GPU/);
    // webgpu: where Dawn offers an adapter its facts are listed; a software one (llvmpipe in CI) is 'only if forced'.
    const webgpuRow = page.locator('[data-backend="webgpu"]');
    if ((await webgpuRow.locator('[data-testid="gpu-adapter"]').count()) > 0) {
      await expect(webgpuRow.locator('dt', { hasText: 'Dawn backend' }).count()).resolves.toBe(1);
      if ((await webgpuRow.locator('[data-testid="gpu-adapter"]').getAttribute('data-software')) === 'true') {
        await expect(webgpuRow.locator('td').nth(1).innerText()).resolves.toBe('only if forced');
      }
    } else {
      await expect(webgpuRow.getAttribute('data-usable')).resolves.toBe('false');
    }
    // The home shown is the one this test created: the page really talked to this server.
    await page.getByText(served.home).waitFor({ timeout: 10_000 });
    await screenshot(page, 'system');
    expect(errors).toEqual([]);
  });

  it('a page without the token cannot drive the workbench', async () => {
    const page = await browser.newPage();
    await page.goto(served.url.replace(/\?token=.*/, ''));
    await page.getByText(/Cannot connect to the workbench bridge/).first().waitFor({ timeout: 30_000 });
  });
});
