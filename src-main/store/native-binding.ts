import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../src-shared/errors';
import { unpacked } from '../asar';

/**
 * better-sqlite3 is a V8 addon, so its `.node` file only loads in a runtime with the NODE_MODULE_VERSION it
 * was compiled for. node_modules keeps the Node build (CLI, bridge, tests); Electron's main process and its
 * utility processes, the trainer and the evaluation worker (all on Electron's Node, with
 * `process.versions.electron` set) load a second build, made at install time by scripts/electron-native.mjs,
 * from this folder under the app's root.
 */
export const ELECTRON_NATIVE_DIR = 'native';

/** How to make the Electron build; every message about a missing one names it. */
export const ELECTRON_NATIVE_FIX = 'npm run rebuild:electron';

export interface RuntimeVersions {
  /** Set only inside Electron (main, utility and ELECTRON_RUN_AS_NODE processes). */
  electron?: string;
  /** NODE_MODULE_VERSION: the ABI a V8 addon must match. */
  modules: string;
}

export interface BindingEnv {
  versions: RuntimeVersions;
  /** The app's root: the folder holding package.json (the repository, or app.asar when packaged). */
  root: string;
  sqliteVersion: string;
  platform: string;
  arch: string;
  exists(path: string): boolean;
}

/**
 * Where the Electron-ABI better_sqlite3.node for this runtime lives. Keyed by the better-sqlite3 version too, so
 * an update of the package (whose JavaScript must match its addon) asks for a fresh build instead of loading
 * a stale one.
 */
export function electronSqliteBinary(env: Pick<BindingEnv, 'root' | 'sqliteVersion' | 'platform' | 'arch'> & { modules: string }): string {
  const folder = `better-sqlite3-${env.sqliteVersion}-abi${env.modules}-${env.platform}-${env.arch}`;
  return join(env.root, ELECTRON_NATIVE_DIR, folder, 'better_sqlite3.node');
}

/**
 * The `nativeBinding` option for `new Database()`: undefined under Node (better-sqlite3 finds its own build),
 * the Electron build's path under Electron, or an error naming the fix when that build was never made.
 */
export function sqliteNativeBinding(env: BindingEnv = currentEnv()): string | undefined {
  const electron = env.versions.electron;
  if (!electron) return undefined;
  const file = unpacked(electronSqliteBinary({ ...env, modules: env.versions.modules }));
  if (!env.exists(file)) {
    throw new AppError(
      'UNSUPPORTED',
      `better-sqlite3 has no build for Electron ${electron} (NODE_MODULE_VERSION ${env.versions.modules}): ${file} is missing. ` +
        `Run \`${ELECTRON_NATIVE_FIX}\` (it needs the network or a C++ toolchain), then start again.`,
      { expected: file, fix: ELECTRON_NATIVE_FIX },
    );
  }
  return file;
}

/** The nearest folder above this module holding a package.json: the repository, or app.asar in a package. */
export function appRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new AppError('INTERNAL', `No package.json above ${from}: cannot find the app's root.`);
    dir = up;
  }
}

function currentEnv(): BindingEnv {
  const versions: RuntimeVersions = { modules: process.versions.modules };
  const electron = (process.versions as Record<string, string | undefined>).electron;
  if (electron) versions.electron = electron;
  return {
    versions,
    // Only under Electron is the root needed; under Node the walk up is skipped.
    get root() {
      return appRoot();
    },
    get sqliteVersion() {
      return (createRequire(import.meta.url)('better-sqlite3/package.json') as { version: string }).version;
    },
    platform: process.platform,
    arch: process.arch,
    exists: existsSync,
  };
}
