#!/usr/bin/env node
// Runs a TypeScript benchmark directly through tsx, like bin/fer.mjs; the last stdout line is one JSON object.
// `bench.mjs [args]`: the speed benchmark (bench/run.ts); `bench.mjs fer2013 DIR [args]`: the real-data one.
import { register } from 'tsx/esm/api';

register();
const realData = process.argv[2] === 'fer2013';
const { main } = await import(realData ? '../bench/fer2013.ts' : '../bench/run.ts');
process.exitCode = await main(process.argv.slice(realData ? 3 : 2));
