#!/usr/bin/env node
// `npm run dist [-- electron-builder options]`: installers for this platform (electron-builder.config.ts).
// Checks first, in one line each, what would make a broken installer: no electron-builder, no Electron, or no
// Electron build of better-sqlite3 (the packaged app could not open its database).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkElectronNative } from './electron-native.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireRepo = createRequire(join(repo, 'package.json'));

function fail(line) {
  console.log(line);
  process.exit(1);
}

let builderCli;
try {
  builderCli = join(dirname(requireRepo.resolve('electron-builder/package.json')), 'cli.js');
} catch {
  fail('npm run dist needs electron-builder, which is not installed (about 280 packages, only needed to make installers): run `npm install --no-save electron-builder@26`, then `npm run dist` again.');
}
const native = await checkElectronNative();
if (!native.ok) fail(`npm run dist needs Electron and its better-sqlite3 build: ${native.line}`);

const run = (file, args) => spawnSync(process.execPath, [file, ...args], { cwd: repo, stdio: 'inherit' }).status ?? 1;
const vite = run(join(dirname(requireRepo.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js'), ['build']);
if (vite !== 0) process.exit(vite);
process.exit(run(builderCli, ['--config', 'electron-builder.config.ts', ...process.argv.slice(2)]));
