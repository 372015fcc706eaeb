#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx fer` works right after `npm install` with no build.
import { register } from 'tsx/esm/api';

register();
const { main, exitQuietlyWhenOutputCloses } = await import('../src-main/cli/fer.ts');
exitQuietlyWhenOutputCloses();
process.exitCode = await main(process.argv.slice(2));
