#!/usr/bin/env node
// `npm start`: the Electron app when its binary is installed; otherwise the same app in the browser bridge.
import { spawnSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const bin = (name) => join(repo, 'node_modules', '.bin', name);
const passthrough = process.argv.slice(2);

function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' ? path : null;
  } catch (err) {
    return null;
  }
}

const electron = electronBinary();
if (electron) {
  const build = spawnSync(bin('electron-vite'), ['build'], { cwd: repo, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const child = spawn(electron, [repo, ...passthrough], { cwd: repo, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log("Electron's binary is not installed (optional dependency), so the workbench opens in your browser instead.");
  const build = spawnSync(bin('vite'), ['build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], { cwd: repo, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const child = spawn(process.execPath, [join(repo, 'bin/fer.mjs'), 'web', ...passthrough], { cwd: repo, stdio: 'inherit' });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code) => process.exit(code ?? 0));
}
