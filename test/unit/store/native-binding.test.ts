import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../../src-main/store/db';
import { appRoot, electronSqliteBinary, ELECTRON_NATIVE_FIX, sqliteNativeBinding, type BindingEnv } from '../../../src-main/store/native-binding';
import { tempDir } from '../../helpers/workbench';

const require = createRequire(import.meta.url);
const SQLITE_VERSION = (require('better-sqlite3/package.json') as { version: string }).version;
/** The Node build that better-sqlite3 loads by itself: a stand-in for an Electron build of the same ABI. */
const NODE_BUILD = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

/** Runs `fn` as if inside Electron: process.versions.electron is what every process of the app can tell by. */
function asElectron<T>(fn: () => T): T {
  Object.defineProperty(process.versions, 'electron', { value: '45.5.0', configurable: true, enumerable: true });
  try {
    return fn();
  } finally {
    delete (process.versions as Record<string, string | undefined>).electron;
  }
}

function env(root: string, electron?: string): BindingEnv {
  return {
    versions: electron ? { electron, modules: '140' } : { modules: '115' },
    root,
    sqliteVersion: SQLITE_VERSION,
    platform: 'linux',
    arch: 'x64',
    exists: existsSync,
  };
}

describe('better-sqlite3 native binding', () => {
  it('leaves Node to better-sqlite3 own build', () => {
    expect(process.versions.electron).toBeUndefined();
    expect(sqliteNativeBinding()).toBeUndefined();
    expect(sqliteNativeBinding(env('/nonexistent'))).toBeUndefined();
  });

  it('under Electron, points at the build for its ABI, platform and better-sqlite3 version', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'native', `better-sqlite3-${SQLITE_VERSION}-abi140-linux-x64`, 'better_sqlite3.node');
    expect(electronSqliteBinary({ root: t.dir, sqliteVersion: SQLITE_VERSION, platform: 'linux', arch: 'x64', modules: '140' })).toBe(file);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
    expect(sqliteNativeBinding(env(t.dir, '45.5.0'))).toBe(file);
  });

  it('in a packaged app, loads the build from app.asar.unpacked', () => {
    const root = join('/opt/FER Workbench/resources', 'app.asar');
    const seen: string[] = [];
    const packaged = { ...env(root, '45.5.0'), exists: (p: string) => (seen.push(p), true) };
    const file = sqliteNativeBinding(packaged);
    expect(file).toBe(join('/opt/FER Workbench/resources/app.asar.unpacked/native', `better-sqlite3-${SQLITE_VERSION}-abi140-linux-x64`, 'better_sqlite3.node'));
    expect(seen).toEqual([file]);
  });

  it('says which build is missing and how to make it', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    let error: { code?: string; message: string; details?: { fix?: string } } | undefined;
    try {
      sqliteNativeBinding(env(t.dir, '45.5.0'));
    } catch (err) {
      error = err as typeof error;
    }
    expect(error?.code).toBe('UNSUPPORTED');
    expect(error?.message).toMatch(/no build for Electron 45\.5\.0 \(NODE_MODULE_VERSION 140\)/);
    expect(error?.message).toContain(`abi140-linux-x64${'/'}better_sqlite3.node is missing`);
    expect(error?.message).toContain(ELECTRON_NATIVE_FIX);
    expect(error?.details?.fix).toBe(ELECTRON_NATIVE_FIX);
  });

  it('openDb under a faked Electron without its build refuses with the fix, and writes no file', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'workbench.sqlite');
    // The repository has no native/ build here (Electron is not installed), so the real lookup misses.
    const expected = electronSqliteBinary({ root: appRoot(), sqliteVersion: SQLITE_VERSION, platform: process.platform, arch: process.arch, modules: process.versions.modules });
    expect(existsSync(expected)).toBe(false);
    expect(() => asElectron(() => openDb(file))).toThrow(new RegExp(`${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is missing.*${ELECTRON_NATIVE_FIX}`));
    expect(existsSync(file)).toBe(false);
    // Back on Node, the same call opens it with better-sqlite3's own build.
    openDb(file).close();
    expect(existsSync(file)).toBe(true);
  });

  it('better-sqlite3 really loads the chosen file: a working copy opens a DB, a broken one fails', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    // Electron and Node differ in ABI; here the "Electron" build is Node's own, copied, so it can load.
    const fake = { ...env(t.dir, '45.5.0'), versions: { electron: '45.5.0', modules: process.versions.modules } };
    const file = electronSqliteBinary({ ...fake, modules: process.versions.modules });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'not an ELF file');
    expect(() => new Database(':memory:', { nativeBinding: sqliteNativeBinding(fake) })).toThrow(/invalid ELF header|too short|not a valid/i);
    copyFileSync(NODE_BUILD, file);
    const db = new Database(':memory:', { nativeBinding: sqliteNativeBinding(fake) });
    expect((db.prepare('SELECT 1 + 1 AS two').get() as { two: number }).two).toBe(2);
    db.close();
  });
});
