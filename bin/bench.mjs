#!/usr/bin/env node
// Runs the TypeScript benchmark directly through tsx, like bin/fer.mjs; the last stdout line is one JSON object.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/run.ts');
process.exitCode = await main(process.argv.slice(2));
