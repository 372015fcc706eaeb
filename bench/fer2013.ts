/**
 * `npm run bench:fer2013 -- DIR`: the paper's baseline on the real FER2013, end to end, as a user would run it.
 * Imports DIR (the Kaggle image-folder layout, train/ + test/, or the fer2013.csv) into a fresh workbench home,
 * trains the baseline preset without and with class weights (validation and model selection on PublicTest),
 * evaluates each best checkpoint on PrivateTest without and with test-time augmentation (flip + 7 augmented views,
 * as in the paper) and on PublicTest, then prints one JSON line (the last stdout line) and writes a Markdown table.
 * Not part of CI: it needs the real data (never committed) and about an hour per run on a 2-core CPU.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { InvokeName, InvokeResult } from '../src-shared/contract';
import type { RunSummary, TrainConfigInput } from '../src-shared/contract/runs';
import type { CliContext } from '../src-main/cli/command';
import { throwIfFailed, watchRuns } from '../src-main/cli/commands/run-watch';
import { evalWithProgress } from '../src-main/cli/commands/eval-shared';
import { openWorkbench, type Workbench } from '../src-main/context';
import { MODEL_PRESETS } from '../src-main/engine/models/presets';
import { call } from '../src-main/services/dispatch';
import { handlers } from '../src-main/services/index';

const USAGE = `npm run bench:fer2013 -- DIR [--home DIR] [--seed 1] [--epochs N] [--limit-train N] [--tta 7] [--out FILE.md]
npm run bench:fer2013 -- --home DIR --runs ID,ID [--tta 7] [--out FILE.md]
DIR: FER2013 as train/ + test/ image folders (Kaggle layout) or the fer2013.csv. --epochs and --limit-train shorten
the runs (a smoke test; the numbers then mean nothing). --runs evaluates baseline runs already trained in --home
(e.g. with \`fer train --preset baseline\`) instead of importing and training. Prints one JSON line; writes the
Markdown table to --out (default bench/fer2013-results.md).`;

/** The paper's numbers for its baseline (its results table and section 5.1). */
const PAPER = { baseline: { test: '64.0–66.4%' } };

interface Row {
  classWeights: boolean;
  /** Units of the hidden FC layer (the preset's 256; 0 is torch_peer.py's net). */
  hidden: number;
  runId: number;
  epochsDone: number;
  bestEpoch: number | null;
  publicTest: number;
  privateTest: number;
  /** The original and its mirror image, averaged. */
  privateTestFlip: number;
  /** Flip + `tta` augmented views (the paper's TTA). */
  privateTestTta: number;
  privateTestMacroF1: number;
  trainMinutes: number | null;
}

function context(home: string): CliContext & { close(): Promise<void> } {
  let wb: Workbench | null = null;
  const ctx = {
    json: false,
    workbench() {
      wb ??= openWorkbench({ flag: home });
      return wb;
    },
    call<N extends InvokeName>(channel: N, args: unknown): Promise<InvokeResult<N>> {
      return call(handlers, ctx.workbench(), channel, args);
    },
    callUnchecked<N extends InvokeName>(channel: N, args: unknown): Promise<InvokeResult<N>> {
      return call(handlers, ctx.workbench(), channel, args);
    },
    print: (line: string) => console.log(line),
    note: (line: string) => void process.stderr.write(`${line}\n`),
    close: async () => wb?.close(),
  };
  return ctx;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function markdownTable(rows: Row[], meta: { dataset: string; seed: number; backend: string; tta: number }): string {
  const lines = [
    `Baseline CNN on FER2013 (${meta.dataset}), seed ${meta.seed}, ${meta.backend}. Model selected on PublicTest (best validation loss); PrivateTest is the paper's test column.`,
    '',
    `| model | class weights | epochs (best) | PublicTest | PrivateTest | PrivateTest + flip | PrivateTest + TTA (flip + ${meta.tta}) | macro-F1 (PrivateTest) | training | paper (test) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| baseline${r.hidden ? ` + FC ${r.hidden}` : ''} | ${r.classWeights ? 'yes' : 'no'} | ${r.epochsDone} (${r.bestEpoch ?? '–'}) | ${pct(r.publicTest)} | ${pct(r.privateTest)} | ${pct(r.privateTestFlip)} | ${pct(r.privateTestTta)} | ${r.privateTestMacroF1.toFixed(3)} | ${r.trainMinutes === null ? '–' : `${r.trainMinutes.toFixed(0)} min`} | ${PAPER.baseline.test} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** Trains the baseline preset on the dataset and waits for it, with the CLI's progress bars. */
async function trainBaseline(ctx: CliContext, dataset: number, seed: number, classWeights: boolean, values: { epochs?: string; 'limit-train'?: string }): Promise<RunSummary> {
  const preset = MODEL_PRESETS.find((p) => p.id === 'baseline')!;
  const config: TrainConfigInput = {
    ...preset.config,
    dataset,
    seed,
    classWeights,
    valSplit: 'PublicTest',
    testSplit: 'PrivateTest',
    ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
    ...(values['limit-train'] ? { limitTrain: Number(values['limit-train']) } : {}),
  };
  const [created] = await ctx.call('runs.create', { config, name: `baseline${classWeights ? ' + class weights' : ''} (bench)` });
  const [run] = await watchRuns(ctx, [created!.id]);
  throwIfFailed([run!]);
  return run!;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      home: { type: 'string' },
      seed: { type: 'string', default: '1' },
      epochs: { type: 'string' },
      'limit-train': { type: 'string' },
      tta: { type: 'string', default: '7' },
      runs: { type: 'string' },
      out: { type: 'string', default: join('bench', 'fer2013-results.md') },
      help: { type: 'boolean', default: false },
    },
  });
  const existing = values.runs?.split(',').map(Number);
  if (existing && (!values.home || existing.some((id) => !Number.isInteger(id) || id <= 0))) {
    process.stderr.write('--runs takes run ids (comma-separated) and needs the --home they live in.\n');
    return 2;
  }
  if (values.help || positionals.length !== (existing ? 0 : 1)) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const data = existing ? null : resolve(positionals[0]!);
  const seed = Number(values.seed);
  const tta = Number(values.tta);
  const home = values.home ? resolve(values.home) : mkdtempSync(join(tmpdir(), 'fer-bench-'));
  mkdirSync(home, { recursive: true });
  const ctx = context(home);
  try {
    const t0 = performance.now();
    const dataset = data ? await ctx.call('datasets.import', { path: data, name: `fer2013-${Date.now()}` }) : null;
    const importSeconds = dataset ? (performance.now() - t0) / 1000 : null;
    if (dataset) ctx.note(`imported ${dataset.name}: ${dataset.splits.map((s) => `${s.split} ${s.total}`).join(', ')} in ${importSeconds!.toFixed(1)} s`);
    const rows: Row[] = [];
    let backend = '?';
    let source = data ?? '';
    let runSeed = seed;
    for (const classWeights of existing ? existing : [false, true]) {
      const run = typeof classWeights === 'number' ? await ctx.call('runs.get', { runId: classWeights }) : { run: await trainBaseline(ctx, dataset!.id, seed, classWeights, values) };
      if (run.run.status !== 'completed') throw new Error(`run ${run.run.id} is ${run.run.status}, not completed`);
      const detail = await ctx.call('runs.get', { runId: run.run.id });
      if (!detail.config) throw new Error(`run ${run.run.id} is an external model, not a trained baseline`);
      const config = detail.config;
      source ||= detail.run.datasetName;
      backend = `${detail.run.backend ?? '?'}`;
      runSeed = config.seed;
      const evalOf = async (split: 'PublicTest' | 'PrivateTest', views: number, flip = views > 0) =>
        ctx.call('eval.get', { evaluationId: (await evalWithProgress(ctx, { runId: detail.run.id, split, tta: views, ttaFlip: flip })).id });
      const pub = await evalOf('PublicTest', 0);
      const priv = await evalOf('PrivateTest', 0);
      const privFlip = await evalOf('PrivateTest', 0, true);
      const privTta = await evalOf('PrivateTest', tta);
      rows.push({
        classWeights: config.classWeights,
        hidden: config.hidden ?? 0,
        runId: detail.run.id,
        epochsDone: detail.run.epochsDone,
        bestEpoch: detail.run.bestEpoch,
        publicTest: pub.evaluation.accuracy,
        privateTest: priv.evaluation.accuracy,
        privateTestFlip: privFlip.evaluation.accuracy,
        privateTestTta: privTta.evaluation.accuracy,
        privateTestMacroF1: priv.evaluation.macroF1,
        trainMinutes: detail.run.durationSec === null ? null : detail.run.durationSec / 60,
      });
    }
    const table = markdownTable(rows, { dataset: source, seed: runSeed, backend, tta });
    writeFileSync(values.out!, table);
    ctx.note(`\n${table}\nwritten to ${values.out}`);
    console.log(JSON.stringify({ dataset: source, home, importSeconds, samples: dataset?.splits ?? null, seed: runSeed, tta, rows }));
    return 0;
  } finally {
    await ctx.close();
  }
}
