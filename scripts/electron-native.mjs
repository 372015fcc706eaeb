#!/usr/bin/env node
// Makes better-sqlite3 for Electron's ABI beside the Node build, which stays in node_modules for the CLI, the
// bridge and the tests (src-main/store/native-binding.ts says why and where).
//
//   node scripts/electron-native.mjs                 make it if missing or broken (npm run rebuild:electron); exit 1 if that fails
//   node scripts/electron-native.mjs --postinstall   the same, but never fails: npm install must pass without Electron or offline
//   node scripts/electron-native.mjs --check         exit 0 if Electron loads its build, else one line saying what to do
//
// FER_ELECTRON=<binary> uses another Electron than the npm package's.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, realpathSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireRepo = createRequire(join(repo, 'package.json'));
const FIX = 'npm run rebuild:electron';

/** The Electron binary, or why there is none (the package is optional and its download may have failed). */
export function locateElectron(env = process.env) {
  if (env.FER_ELECTRON) return existsSync(env.FER_ELECTRON) ? { binary: env.FER_ELECTRON } : { missing: `FER_ELECTRON=${env.FER_ELECTRON} does not exist` };
  try {
    const binary = requireRepo('electron');
    return typeof binary === 'string' ? { binary } : { missing: 'the electron package exports no binary path' };
  } catch (err) {
    return { missing: /Cannot find module 'electron'/.test(err.message) ? 'the electron package is not installed (optional dependency)' : `Electron's binary is missing: ${err.message.split('\n')[0]}` };
  }
}

/** Runs `code` in the Electron binary as plain Node (its ABI, its versions). */
function inElectron(binary, code, args = []) {
  const r = spawnSync(binary, ['-e', code, ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { ok: false, out: r.error.message };
  return { ok: r.status === 0, out: (r.status === 0 ? r.stdout : r.stderr || r.stdout).trim() };
}

function electronVersions(binary) {
  const r = inElectron(binary, 'process.stdout.write(JSON.stringify({ electron: process.versions.electron, modules: process.versions.modules }))');
  if (!r.ok) throw new Error(`Electron did not run as Node: ${firstError(r.out)}`);
  return JSON.parse(r.out);
}

/** Opens an in-memory DB in Electron with this addon: the only proof that the build fits. */
function verify(binary, addon) {
  const code = 'const [dir, addon] = process.argv.slice(-2); const Database = require(dir); const db = new Database(":memory:", { nativeBinding: addon }); process.stdout.write(db.prepare("SELECT sqlite_version() AS v").get().v); db.close();';
  return inElectron(binary, code, [sqliteDir(), addon]);
}

function sqliteDir() {
  return dirname(requireRepo.resolve('better-sqlite3/package.json'));
}

function lastLine(text) {
  return (text.trim().split('\n').pop() ?? '').slice(0, 300);
}

/** Node ends a crash with its version and node-gyp with "gyp ERR! not ok"; the first Error line says what went wrong. */
function firstError(text) {
  return (text.split('\n').find((l) => /Error:|ENOTFOUND|EAI_AGAIN/.test(l)) ?? lastLine(text)).trim().slice(0, 300);
}

function reason(r) {
  return r.error ? r.error.message : firstError(r.stderr ?? '') || `exit ${r.status}`;
}

/** The path formula lives in one TypeScript module; tsx loads it here as bin/fer.mjs loads the CLI. */
async function bindingModule() {
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(repo, 'src-main/store/native-binding.ts')).href);
}

async function target(binary) {
  const versions = electronVersions(binary);
  const { electronSqliteBinary } = await bindingModule();
  const sqliteVersion = requireRepo('better-sqlite3/package.json').version;
  const file = electronSqliteBinary({ root: repo, sqliteVersion, platform: process.platform, arch: process.arch, modules: versions.modules });
  return { versions, file };
}

/** Whether `npm start` can open the desktop app: { ok: true } or { ok: false, line } with the fix. */
export async function checkElectronNative() {
  const electron = locateElectron();
  if (!electron.binary) return { ok: false, line: `No Electron: ${electron.missing}.` };
  try {
    const { versions, file } = await target(electron.binary);
    if (!existsSync(file)) return { ok: false, line: `better-sqlite3 has no build for Electron ${versions.electron} (ABI ${versions.modules}) at ${file}: run \`${FIX}\`.` };
    const r = verify(electron.binary, file);
    if (!r.ok) return { ok: false, line: `Electron cannot load ${file} (${firstError(r.out)}): run \`${FIX}\`.` };
    return { ok: true, file };
  } catch (err) {
    return { ok: false, line: `${err.message.split('\n')[0]}` };
  }
}

/** Tries better-sqlite3's prebuilt binary for this Electron, then a compile against Electron's headers. */
function build(versions, work) {
  const pkgDir = sqliteDir();
  // Both tools write build/Release/better_sqlite3.node under their cwd, so they work on a copy of the package:
  // its package.json for the download, its sources (not its Node build) for a compile.
  mkdirSync(work, { recursive: true });
  copyFileSync(join(pkgDir, 'package.json'), join(work, 'package.json'));
  const out = join(work, 'build', 'Release', 'better_sqlite3.node');
  const attempts = [];
  const prebuild = createRequire(join(pkgDir, 'package.json')).resolve('prebuild-install/bin.js');
  const common = { cwd: work, encoding: 'utf8', timeout: 15 * 60_000, env: { ...process.env } };
  let r = spawnSync(process.execPath, [prebuild, '--runtime', 'electron', '--target', versions.electron, '--arch', process.arch, '--platform', process.platform], common);
  if (existsSync(out)) return out;
  attempts.push(`prebuilt download: ${reason(r)}`);
  const gyp = process.env.npm_config_node_gyp || join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(gyp)) {
    cpSync(pkgDir, work, { recursive: true, filter: (src) => src !== join(pkgDir, 'build') && src !== join(pkgDir, 'node_modules') });
    r = spawnSync(process.execPath, [gyp, 'rebuild', '--release', `--target=${versions.electron}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers'], common);
    if (existsSync(out)) return out;
    attempts.push(`node-gyp: ${reason(r)}`);
  } else attempts.push('node-gyp: not found');
  throw new Error(`could not make it (${attempts.join('; ')})`);
}

async function make() {
  const electron = locateElectron();
  if (!electron.binary) return { ok: true, line: `Electron's better-sqlite3 build: skipped, ${electron.missing}.` };
  const { versions, file } = await target(electron.binary);
  if (existsSync(file) && verify(electron.binary, file).ok) return { ok: true, line: `Electron's better-sqlite3 build is in place: ${file}` };
  const work = join(repo, 'native', `.build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  try {
    const built = build(versions, work);
    const check = verify(electron.binary, built);
    if (!check.ok) throw new Error(`the new build does not load in Electron: ${firstError(check.out)}`);
    // Into place only once it loads, and by a rename, so a broken or half-copied build never sits where the app looks.
    const staging = join(work, 'staged');
    mkdirSync(staging);
    copyFileSync(built, join(staging, 'better_sqlite3.node'));
    rmSync(dirname(file), { recursive: true, force: true });
    mkdirSync(dirname(dirname(file)), { recursive: true });
    renameSync(staging, dirname(file));
    return { ok: true, line: `Electron's better-sqlite3 build made for Electron ${versions.electron} (ABI ${versions.modules}, SQLite ${check.out}): ${file}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
    // An offline install leaves no empty native/ behind.
    try {
      rmdirSync(join(repo, 'native'));
    } catch {}
  }
}

async function main(argv) {
  if (argv.includes('--check')) {
    const r = await checkElectronNative();
    console.log(r.ok ? `Electron's better-sqlite3 build loads: ${r.file}` : r.line);
    return r.ok ? 0 : 1;
  }
  const postinstall = argv.includes('--postinstall');
  try {
    const r = await make();
    console.log(r.line);
    return 0;
  } catch (err) {
    console.log(`Electron's better-sqlite3 build: ${err.message.split('\n')[0]}. The desktop app needs it; ${postinstall ? `run \`${FIX}\` when online` : 'see above'} (the browser bridge works without it).`);
    return postinstall ? 0 : 1;
  }
}

// Run as a script, not imported (bin/start.mjs, scripts/dist.mjs); realpath because ESM URLs are resolved through symlinks.
if (process.argv[1] && existsSync(process.argv[1]) && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) process.exitCode = await main(process.argv.slice(2));
