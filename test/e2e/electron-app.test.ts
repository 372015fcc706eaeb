import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferSucceeds } from '../helpers/fer-cli';
import { REPO } from './harness';

/**
 * The desktop app as a researcher starts it: the electron-vite build, Electron's own better-sqlite3 build, a
 * window on a temp home, a contract call through the preload, a training in the utilityProcess. Where Electron's
 * binary (an optional download) or its better-sqlite3 build is missing, each test says so in its name and is
 * skipped; the parts before it are checked by test/unit/store/native-binding.test.ts,
 * test/integration/store/electron-native-script.test.ts and test/unit/packaging.test.ts.
 */
const require = createRequire(import.meta.url);
const { locateElectron, checkElectronNative } = (await import(pathToFileURL(join(REPO, 'scripts/electron-native.mjs')).href)) as {
  locateElectron(): { binary?: string; missing?: string };
  checkElectronNative(): Promise<{ ok: boolean; line?: string }>;
};
const electron = locateElectron();
const native = electron.binary ? await checkElectronNative() : { ok: false, line: `Electron's binary is absent: ${electron.missing}` };
const hasElectronPackage = (() => {
  try {
    require.resolve('electron/package.json');
    return true;
  } catch {
    return false;
  }
})();
const skipReason = !electron.binary ? `skipped: no Electron binary (${electron.missing})` : !native.ok ? `skipped: ${native.line}` : '';
const cannotLaunch = skipReason !== '';

let app: ElectronApplication | undefined;
let win: Page;
let temp: string;

const fer = (...args: string[]) => ferSucceeds(args, { timeout: 120_000 });

describe('the Electron desktop app', () => {
  it.skipIf(!hasElectronPackage)(`electron-vite builds main, trainer, evaluation worker, preload and renderer${hasElectronPackage ? '' : ' (skipped: the electron package is not installed, and electron-vite reads its version)'}`, () => {
    const cli = join(require.resolve('electron-vite/package.json'), '..', 'bin', 'electron-vite.js');
    const r = spawnSync(process.execPath, [cli, 'build'], { cwd: REPO, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['out/main/index.js', 'out/main/trainer.js', 'out/main/eval-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(existsSync(join(REPO, f)), f).toBe(true);
    }
  });

  describe.skipIf(cannotLaunch)(`launched with playwright's _electron${cannotLaunch ? ` (${skipReason})` : ''}`, () => {
    beforeAll(async () => {
      temp = mkdtempSync(join(tmpdir(), 'fer-electron-'));
      const home = join(temp, 'home');
      mkdirSync(home);
      // A tiny synthetic dataset, imported by the CLI (Node's better-sqlite3) into the home the app then opens
      // with Electron's: both builds on one file.
      await fer('synth', '--out', join(temp, 'syn'), '--format', 'csv', '--per-class', '12', '--seed', '3');
      await fer('import', join(temp, 'syn', 'fer2013.csv'), '--name', 'tiny', '--home', home);
      if (!existsSync(join(REPO, 'out/main/index.js'))) throw new Error('out/main/index.js is missing: the electron-vite build test above must pass first.');
      app = await _electron.launch({
        executablePath: electron.binary!,
        args: [REPO, `--home=${home}`],
        cwd: REPO,
        // Electron's own profile in the temp folder too, never the user's.
        env: { ...process.env, HOME: temp, XDG_CONFIG_HOME: join(temp, 'config'), FER_WASM_THREADS: '1' },
        timeout: 60_000,
      });
      win = await app.firstWindow();
      await win.waitForLoadState('domcontentloaded');
    });

    afterAll(async () => {
      await app?.close();
      if (temp) rmSync(temp, { recursive: true, force: true });
    });

    it('opens the workbench window', async () => {
      expect(await win.title()).toMatch(/FER Workbench/);
      await win.locator('body *').first().waitFor({ timeout: 30_000 });
    });

    it('is sandboxed: no require, no process, only the preload named functions', async () => {
      const seen = await win.evaluate(() => {
        const g = globalThis as Record<string, unknown>;
        const fer = g.fer as Record<string, unknown> | undefined;
        return { require: typeof g.require, process: typeof g.process, module: typeof g.module, fer: fer ? Object.keys(fer).sort() : null };
      });
      expect(seen).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', fer: ['invoke', 'onEvent'] });
    });

    it('answers a contract call through the preload (datasets.list) from the home the CLI wrote', async () => {
      const list = await win.evaluate(() => (globalThis as unknown as { fer: { invoke(c: string, a: unknown): Promise<unknown> } }).fer.invoke('datasets.list', {}));
      expect(list).toMatchObject({ ok: true, value: [expect.objectContaining({ name: 'tiny' })] });
      const outside = await win.evaluate(() => (globalThis as unknown as { fer: { invoke(c: string, a: unknown): Promise<unknown> } }).fer.invoke('fs.readFile', {}));
      expect(outside).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    });

    it('trains a tiny run in the utilityProcess and the window receives its progress', async () => {
      const id = await win.evaluate(async () => {
        const fer = (globalThis as unknown as { fer: { invoke(c: string, a: unknown): Promise<{ ok: boolean; value?: { id: number }[]; error?: unknown }>; onEvent(l: (n: string, p: unknown) => void): void } }).fer;
        const g = globalThis as unknown as { seen: { name: string; payload: unknown }[] };
        g.seen = [];
        fer.onEvent((name, payload) => g.seen.push({ name, payload }));
        const r = await fer.invoke('runs.create', { config: { dataset: 'tiny', model: 'baseline', epochs: 1, batch: 16, limitTrain: 48 } });
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r.value![0]!.id;
      });
      // The trainer is Electron's utility process, not a Node child (src-main/electron/utility-launcher.ts).
      await expect
        .poll(async () => (await app!.evaluate(({ app: a }) => (a.getAppMetrics() as { type: string; name?: string }[]).map((m) => ({ type: m.type, name: m.name ?? '' })))).some((m: { type: string; name: string }) => m.type === 'Utility' && m.name === 'FER Workbench trainer'), { timeout: 60_000 })
        .toBe(true);
      await expect
        .poll(() => win.evaluate((runId) => (globalThis as unknown as { seen: { name: string; payload: { id?: number; runId?: number; status?: string } }[] }).seen.filter((e) => (e.payload.runId ?? e.payload.id) === runId).map((e) => `${e.name}:${e.payload.status ?? ''}`), id), { timeout: 180_000 })
        .toEqual(expect.arrayContaining(['run.progress:', 'run.status:completed']));
      await win.evaluate((runId) => (location.hash = `#/runs/${runId}`), id);
      await expect.poll(() => win.getByTestId('epoch-counter').innerText(), { timeout: 30_000 }).toBe('1 / 1');
    });
  });
});
