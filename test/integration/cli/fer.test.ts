import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV_SWITCHES, PATCHES } from '../../../src-main/engine/patches';
import { fer as runFer, lastJson, spawnFer } from '../../helpers/fer-cli';
import { tempDir } from '../../helpers/workbench';

const home = tempDir();
afterAll(() => home.cleanup());

const fer = (...args: string[]) => runFer(args, { env: { FER_HOME: '' } });
/** Runs the CLI with its stdout already closed by the reader, as `fer runs | head -1` does once head has its line. */
function ferIntoClosedPipe(...args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawnFer(args, { env: { FER_HOME: '' } });
  // Closed before tsx has even loaded, so the CLI's first write surely meets a reader that is gone.
  child.stdout!.destroy();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('fer CLI', () => {
  it('doctor --json reports wasm and cpu usable and says why Electron and tfjs-node are absent', async () => {
    const r = await fer('doctor', '--json', '--home', home.dir);
    expect(r.code).toBe(0);
    const report = lastJson(r.stdout) as { backends: { name: string; usable: boolean; reason: string }[]; electron: { present: boolean; reason: string }; home: string };
    const by = Object.fromEntries(report.backends.map((b) => [b.name, b]));
    expect(by.wasm!.usable).toBe(true);
    expect(by.cpu!.usable).toBe(true);
    expect(report.home).toBe(home.dir);
    if (!by.tensorflow!.usable) expect(by.tensorflow!.reason).toMatch(/tfjs-node/);
    // webgpu: usable exactly when Dawn offered an adapter; a software one (llvmpipe here) only when forced.
    const webgpu = by.webgpu as { usable: boolean; forcedOnly?: boolean; reason: string; adapter?: { software: boolean; dawnBackend: string } };
    expect(webgpu.usable).toBe(webgpu.adapter !== undefined);
    if (webgpu.adapter) expect(Boolean(webgpu.forcedOnly)).toBe(webgpu.adapter.software);
    if (webgpu.forcedOnly) expect((report as unknown as { chosen: { name: string } }).chosen.name).not.toBe('webgpu');
    if (!report.electron.present) expect(report.electron.reason).toMatch(/electron/i);
    // Read from the addons' symbol tables (test/unit/native-addons.test.ts): what Electron can share with Node.
    const addons = (report as unknown as { nativeAddons: { package: string; abi: string }[] }).nativeAddons;
    // The tfjs patches training on the chosen backend would run with (engine/patches), and every FER_* switch.
    const chosen = (report as unknown as { chosen: { name: string } }).chosen.name;
    const patches = (report as unknown as { patches: { name: string; active: boolean; backends: string[] }[] }).patches;
    expect(patches.map((p) => p.name)).toEqual(PATCHES.map((p) => p.name));
    for (const p of patches) expect(p.active, p.name).toBe(p.backends.includes(chosen));
    const switches = (report as unknown as { switches: { name: string; value: string | null }[] }).switches;
    expect(switches.map((s) => s.name)).toEqual(ENV_SWITCHES.map((s) => s.name));
    if (process.platform === 'linux') expect(addons).toEqual(expect.arrayContaining([expect.objectContaining({ package: 'sharp', abi: 'node-api' }), expect.objectContaining({ package: 'better-sqlite3', abi: 'v8' })]));
  });

  it('--version prints the versions', async () => {
    const r = await fer('--version', '--json');
    expect(r.code).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ fer: expect.any(String), node: process.versions.node, tfjs: expect.any(String) });
  });

  it('an unknown command, an unknown option and a missing home are usage errors with a clear message', async () => {
    const unknown = await fer('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/);
    const badOpt = await fer('doctor', '--bogus', '--home', home.dir);
    expect(badOpt.code).toBe(2);
    expect(badOpt.stderr).toMatch(/bogus/);
    const missing = await fer('doctor', '--json', '--home', join(home.dir, 'nowhere'));
    expect(missing.code).toBe(1);
    expect(lastJson(missing.stdout)).toMatchObject({ ok: false, error: { code: 'HOME_MISSING' } });
    // An empty --home (an unset shell variable) is not the current folder nor the default.
    const empty = await fer('doctor', '--json', '--home', '');
    expect(empty.code).toBe(2);
    expect(lastJson(empty.stdout)).toMatchObject({ ok: false, error: { code: 'BAD_ARGS', message: expect.stringMatching(/--home is empty/) } });
  });

  it('refuses a home whose DB comes from a newer version, and leaves it unchanged', async () => {
    const future = tempDir();
    try {
      const db = new Database(join(future.dir, 'workbench.sqlite'));
      db.pragma('user_version = 99999');
      db.close();
      const r = await fer('doctor', '--json', '--home', future.dir);
      expect(r.code).toBe(1);
      expect(lastJson(r.stdout)).toMatchObject({ ok: false, error: { code: 'DB_FROM_FUTURE' } });
      const again = new Database(join(future.dir, 'workbench.sqlite'));
      expect(again.pragma('user_version', { simple: true })).toBe(99999);
      again.close();
    } finally {
      future.cleanup();
    }
  });

  it('exits quietly with status 0 when the reader closes stdout early (fer runs | head -1)', async () => {
    // Before: an uncaught 'write EPIPE' with its stack, about half the time through a real `| head -1`.
    for (const args of [['--help'], ['runs', '--home', home.dir]]) {
      const r = await ferIntoClosedPipe(...args);
      expect({ args, ...r }).toEqual({ args, code: 0, signal: null, stderr: '' });
    }
  });

  it('fer web --port out of range is one usage line, no stack', async () => {
    // Before: listen() threw RangeError [ERR_SOCKET_BAD_PORT], printed with its stack as INTERNAL.
    const r = await fer('web', '--port', '99999', '--home', home.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \[BAD_ARGS\]: Port 99999 is out of range[^\n]*\n$/);
  });
});
