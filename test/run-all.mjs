#!/usr/bin/env node
// `npm test`: type checks, lints, builds the renderer the end-to-end tests serve, runs every vitest project
// (unit, integration, end-to-end in Chromium), then prints one plain "N passed, N failed" line that CI can read.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(repo, 'node_modules', '.bin', name);
const run = (cmd, args) => spawnSync(cmd, args, { cwd: repo, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' } });

// Strict types everywhere, the Electron shell included: with the real electron types when they installed,
// otherwise with the offline slice in types/.
const electronTypes = existsSync(join(repo, 'node_modules', 'electron', 'electron.d.ts'));
for (const project of ['tsconfig.json', electronTypes ? 'tsconfig.electron.json' : 'tsconfig.electron-offline.json']) {
  const tsc = run(bin('tsc'), ['--noEmit', '-p', project]);
  if (tsc.status !== 0) {
    console.error(`type check failed (${project})`);
    process.exit(tsc.status ?? 1);
  }
}

// The import layering (eslint.config.mjs, lint/layers.mjs: which folder may import what) and a few
// recommended rules; then knip: unused files, exports and dependencies (knip.json names the entry points).
for (const [name, args] of [['eslint', ['.']], ['knip', []]]) {
  const lint = run(bin(name), args);
  if (lint.status !== 0) {
    console.error(`${name} failed (npm run lint)`);
    process.exit(lint.status ?? 1);
  }
}

// The Svelte components' TypeScript, which tsc does not read.
const svelteCheck = run(bin('svelte-check'), ['--workspace', 'src-renderer', '--tsconfig', join(repo, 'tsconfig.json'), '--fail-on-warnings', '--output', 'human']);
if (svelteCheck.status !== 0) {
  console.error('svelte-check failed');
  process.exit(svelteCheck.status ?? 1);
}

const build = run(bin('vite'), ['build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn']);
if (build.status !== 0) {
  console.error('renderer build failed');
  process.exit(build.status ?? 1);
}

mkdirSync(join(repo, 'test-artifacts'), { recursive: true });
const report = join(repo, 'test-artifacts', 'vitest-report.json');
const extra = process.argv.slice(2);
const tests = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra]);

if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
}
process.exit(tests.status ?? 1);
