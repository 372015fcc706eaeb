#!/usr/bin/env node
// Runs a TypeScript benchmark directly through tsx, like bin/fer.mjs; the last stdout line is one JSON object.
// `bench.mjs [args]`: the speed benchmark (bench/run.ts); `bench.mjs fer2013 DIR [args]`: the real-data one;
// `bench.mjs numerics --home DIR --dataset NAME`: the kernels against the reference path over a long run.
import { register } from 'tsx/esm/api';

register();
const SUITES = { fer2013: '../bench/fer2013.ts', numerics: '../bench/numerics.ts' };
const suite = SUITES[process.argv[2]];
const { main } = await import(suite ?? '../bench/run.ts');
process.exitCode = await main(process.argv.slice(suite ? 3 : 2));
