#!/usr/bin/env node
// `npm start`: the Electron app when its binary is installed; otherwise the same app in the browser bridge.
import { spawnSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(repo, 'node_modules', '.bin', name);
const passthrough = process.argv.slice(2);

// Electron also needs its own better-sqlite3 build (scripts/electron-native.mjs); without it the app could not
// open its database, so the browser serves the workbench instead, after one line saying how to make it.
async function electronReady() {
  const { locateElectron, checkElectronNative } = await import('../scripts/electron-native.mjs');
  const { binary } = locateElectron();
  if (!binary) return { ok: false, line: "Electron's binary is not installed (optional dependency), so the workbench opens in your browser instead." };
  const check = await checkElectronNative();
  return check.ok ? { ok: true, binary } : { ok: false, line: `${check.line} Until then the workbench opens in your browser instead.` };
}

const ready = await electronReady();
const electron = ready.ok ? ready.binary : null;
if (electron) {
  const build = spawnSync(bin('electron-vite'), ['build'], { cwd: repo, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const child = spawn(electron, [repo, ...passthrough], { cwd: repo, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(ready.line);
  const build = spawnSync(bin('vite'), ['build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], { cwd: repo, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const child = spawn(process.execPath, [join(repo, 'bin/fer.mjs'), 'web', ...passthrough], { cwd: repo, stdio: 'inherit' });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code) => process.exit(code ?? 0));
}
