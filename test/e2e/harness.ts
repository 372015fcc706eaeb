import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { spawnFer } from '../helpers/fer-cli';

export const REPO = resolve(__dirname, '../..');
export const ARTIFACTS = join(REPO, 'test-artifacts');

export interface Served {
  url: string;
  home: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `fer web` exactly as a user would (a real process, a temp home) and waits for its URL. */
export async function serveWorkbench(home?: string): Promise<Served> {
  const dir = home ?? mkdtempSync(join(tmpdir(), 'fer-e2e-'));
  const proc = spawnFer(['web', '--home', dir, '--port', '0'], { env: { FORCE_COLOR: '0' } });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fer web printed no URL in 60 s. stderr: ${stderr}`)), 60_000);
    proc.stdout!.on('data', (d) => {
      out += String(d);
      const m = /served at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    });
    proc.once('exit', (code) => reject(new Error(`fer web exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    home: dir,
    proc,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      if (!home) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, never a downloaded browser. The flags keep it off this machine's closed network. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A new page whose uncaught errors land in `errors` (every test ends by expecting none). */
export async function openPage(browser: Browser, errors: string[], viewport?: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage(viewport ? { viewport } : {});
  page.on('pageerror', (e) => errors.push(e.message));
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
