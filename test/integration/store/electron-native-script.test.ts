import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { electronSqliteBinary } from '../../../src-main/store/native-binding';
import { tempDir } from '../../helpers/workbench';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCRIPT = join(repo, 'scripts', 'electron-native.mjs');
const require = createRequire(import.meta.url);
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'));
const sqlitePkg = require('better-sqlite3/package.json') as { name: string; version: string };
const electronInstalled = (() => {
  try {
    return typeof require('electron') === 'string';
  } catch {
    return false;
  }
})();

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, lines: r.stdout.trim().split('\n').filter(Boolean), stderr: r.stderr };
}

/**
 * A stand-in Electron: this Node with process.versions.electron set and an ABI number of its own (the number is
 * only a name here; the addon still loads), so the build lands in a folder no other test looks at.
 */
function fakeElectron(dir: string, abi: string): string {
  const pre = join(dir, 'pre.cjs');
  writeFileSync(pre, `Object.defineProperty(process.versions, 'electron', { value: '45.5.0', enumerable: true, configurable: true });\nObject.defineProperty(process.versions, 'modules', { value: '${abi}', enumerable: true, configurable: true });\n`);
  const bin = join(dir, 'electron');
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" -r "${pre}" "$@"\n`);
  chmodSync(bin, 0o755);
  return bin;
}

describe('scripts/electron-native.mjs (the postinstall)', () => {
  it.skipIf(electronInstalled)('without Electron, passes npm install with one line, and --check says why', () => {
    const post = run(['--postinstall']);
    expect(post.status).toBe(0);
    expect(post.lines).toEqual([expect.stringMatching(/skipped, the electron package is not installed/)]);
    const check = run(['--check']);
    expect(check.status).toBe(1);
    expect(check.lines).toEqual([expect.stringMatching(/^No Electron: the electron package is not installed/)]);
  });

  it.skipIf(process.platform === 'win32')('offline, the postinstall still exits 0 and names the fix; a fetched build is verified in Electron, then put in place', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const abi = `9${process.pid % 100000}`;
    const electron = fakeElectron(t.dir, abi);
    const dest = electronSqliteBinary({ root: repo, sqliteVersion: sqlitePkg.version, platform: process.platform, arch: process.arch, modules: abi });
    cleanups.push(() => rmSync(dirname(dest), { recursive: true, force: true }));
    // No network and an empty prebuild cache: both ways of making it fail, and install must not.
    const emptyCache = join(t.dir, 'empty-cache');
    const offline = { FER_ELECTRON: electron, npm_config_cache: emptyCache, npm_config_node_gyp: join(t.dir, 'no-node-gyp.js'), https_proxy: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9' };
    const failed = run(['--postinstall'], offline);
    expect(failed.status).toBe(0);
    expect(failed.lines).toHaveLength(1);
    expect(failed.lines[0]).toMatch(/could not make it \(prebuilt download: .+; node-gyp: .+\).*npm run rebuild:electron/);
    expect(existsSync(dirname(dest))).toBe(false);
    expect(run(['--check'], offline).lines[0]).toMatch(new RegExp(`no build for Electron 45\\.5\\.0 \\(ABI ${abi}\\).*npm run rebuild:electron`));
    expect(run([], offline).status).toBe(1);

    // prebuild-install looks in npm's cache before downloading: a cached "Electron" tarball holding Node's build.
    const util = createRequire(join(sqliteDir, 'package.json'))('prebuild-install/util') as { getDownloadUrl(o: object): string; cachedPrebuild(url: string): string };
    const nodeAbi = createRequire(join(sqliteDir, 'package.json'))('node-abi') as { getAbi(target: string, runtime: string): string };
    const cache = join(t.dir, 'cache');
    const url = util.getDownloadUrl({ pkg: sqlitePkg, runtime: 'electron', abi: nodeAbi.getAbi('45.5.0', 'electron'), platform: process.platform, arch: process.arch, libc: '', 'tag-prefix': 'v' });
    const prev = process.env.npm_config_cache;
    process.env.npm_config_cache = cache;
    const cached = util.cachedPrebuild(url);
    if (prev === undefined) delete process.env.npm_config_cache;
    else process.env.npm_config_cache = prev;
    const staging = join(t.dir, 'tarball');
    mkdirSync(join(staging, 'build', 'Release'), { recursive: true });
    mkdirSync(dirname(cached), { recursive: true });

    // First a broken addon: fetched, refused by the check in Electron, not put in place.
    writeFileSync(join(staging, 'build', 'Release', 'better_sqlite3.node'), 'not an addon');
    expect(spawnSync('tar', ['czf', cached, 'build'], { cwd: staging }).status).toBe(0);
    const broken = run([], { ...offline, npm_config_cache: cache });
    expect(broken.status).toBe(1);
    expect(broken.lines.join('\n')).toMatch(/does not load in Electron/);
    expect(existsSync(dirname(dest))).toBe(false);

    copyFileSync(join(sqliteDir, 'build', 'Release', 'better_sqlite3.node'), join(staging, 'build', 'Release', 'better_sqlite3.node'));
    expect(spawnSync('tar', ['czf', cached, 'build'], { cwd: staging }).status).toBe(0);
    const made = run(['--postinstall'], { ...offline, npm_config_cache: cache });
    expect(made.status).toBe(0);
    expect(made.lines).toEqual([expect.stringMatching(new RegExp(`made for Electron 45\\.5\\.0 \\(ABI ${abi}, SQLite [\\d.]+\\): .*${relative(repo, dest).replace(/[.]/g, '\\.')}`))]);
    expect(existsSync(dest)).toBe(true);
    const check = run(['--check'], offline);
    expect(check.status, check.lines.join('\n')).toBe(0);
    expect(check.lines[0]).toMatch(/build loads/);
    // Nothing of the work folder is left beside it.
    expect(spawnSync('ls', ['-A', join(repo, 'native')], { encoding: 'utf8' }).stdout).not.toMatch(/\.build-/);
  });
});
