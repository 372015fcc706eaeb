/**
 * `npm run bench:fer2013 -- DIR`: the paper's baseline on the real FER2013, end to end, as a user would run it
 * (and, with --runs, any runs already trained there, with their soft-vote ensemble).
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
import type { RunSummary, TrainConfig, TrainConfigInput } from '../src-shared/contract/runs';
import type { CliContext } from '../src-main/cli/command';
import { throwIfFailed, watchRuns } from '../src-main/cli/commands/run-watch';
import { evalWithProgress } from '../src-main/cli/commands/eval-shared';
import { openWorkbench, type Workbench } from '../src-main/context';
import { MODEL_PRESETS } from '../src-main/engine/models/presets';
import { call } from '../src-main/services/dispatch';
import { latestMatching } from '../src-main/store/evaluations';
import { handlers } from '../src-main/services/index';

const USAGE = `npm run bench:fer2013 -- DIR [--home DIR] [--seed 1] [--epochs N] [--limit-train N] [--tta 7] [--out FILE.md]
npm run bench:fer2013 -- --home DIR --runs ID,ID [--tta 7] [--ensemble] [--fresh] [--out FILE.md]
DIR: FER2013 as train/ + test/ image folders (Kaggle layout) or the fer2013.csv. --epochs and --limit-train shorten
the runs (a smoke test; the numbers then mean nothing). --runs evaluates runs already trained in --home (any model,
e.g. \`fer train --preset baseline\` or \`--preset faceres\`) instead of importing and training; their stored
evaluations of the same setting are reused unless --fresh. --tta 0 leaves the TTA column out (a 224 px backbone
takes ~30 min per TTA pass on 2 cores). --ensemble adds the soft vote of the rows (PublicTest plain, PrivateTest
with the rows' best setting: TTA, else flip). Prints one JSON line; writes the Markdown table to --out (default
bench/fer2013-results.md).`;

/** The paper's test accuracy per model family (its results table, sections 5.1–5.3). */
const PAPER: Record<string, string> = { baseline: '64.0–66.4%', resnet50: '72.4%', senet50: '72.5%', vgg16: '71.4%', ensemble: '75.4%' };

interface Row {
  /** What trained: the model and what distinguishes it (input size and frozen layers for a backbone, the hidden layer). */
  label: string;
  model: string;
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
  /** Flip + `tta` augmented views (the paper's TTA); null with --tta 0. */
  privateTestTta: number | null;
  privateTestMacroF1: number;
  trainMinutes: number | null;
}

/** The soft vote of the rows: PublicTest plain, PrivateTest with each member's best stored setting. */
interface EnsembleRow {
  members: number[];
  publicTest: number;
  privateTest: number;
  privateTestMacroF1: number;
  /** The PrivateTest setting each member contributed. */
  privateSetting: string;
}

function rowLabel(config: TrainConfig): string {
  const hidden = `${config.hidden ? ` + FC ${config.hidden}` : ''}${config.monitor === 'valAcc' ? ' (best by PublicTest accuracy)' : ''}`;
  if (config.model === 'baseline') return `baseline${hidden}`;
  const frozen = config.freeze > 0 ? `, ${config.freeze} layers frozen` : '';
  const features = config.features !== 'final' ? ` ${config.features}` : '';
  return `${config.model}${features} ${config.inputSize} px${frozen}${config.cacheFeatures && config.augment === null ? ' (cached features)' : ''}${hidden}`;
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

export function markdownTable(rows: Row[], meta: { dataset: string; seed: number; backend: string; tta: number }, ensemble: EnsembleRow | null = null): string {
  const lines = [
    `FER2013 (${meta.dataset}), seed ${meta.seed}, ${meta.backend}. Model selected on PublicTest (best validation loss, or accuracy where the row says so); PrivateTest is the paper's test column.`,
    '',
    `| model | class weights | epochs (best) | PublicTest | PrivateTest | PrivateTest + flip | PrivateTest + TTA (${meta.tta ? `flip + ${meta.tta}` : 'not run'}) | macro-F1 (PrivateTest) | training | paper (test) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.classWeights ? 'yes' : 'no'} | ${r.epochsDone} (${r.bestEpoch ?? '–'}) | ${pct(r.publicTest)} | ${pct(r.privateTest)} | ${pct(r.privateTestFlip)} | ${r.privateTestTta === null ? '–' : pct(r.privateTestTta)} | ${r.privateTestMacroF1.toFixed(3)} | ${r.trainMinutes === null ? '–' : `${r.trainMinutes.toFixed(0)} min`} | ${PAPER[r.model] ?? '–'} |`,
    ),
    ...(ensemble
      ? [
          `| soft vote of runs ${ensemble.members.join(' + ')} (PrivateTest: ${ensemble.privateSetting}) | – | – | ${pct(ensemble.publicTest)} | ${pct(ensemble.privateTest)} | – | – | ${ensemble.privateTestMacroF1.toFixed(3)} | – | ${PAPER.ensemble} |`,
        ]
      : []),
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
      ensemble: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
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
    const members: { pub: number; priv: number }[] = [];
    let backend = '?';
    let source = data ?? '';
    let runSeed = seed;
    for (const classWeights of existing ? existing : [false, true]) {
      const run = typeof classWeights === 'number' ? await ctx.call('runs.get', { runId: classWeights }) : { run: await trainBaseline(ctx, dataset!.id, seed, classWeights, values) };
      // A stopped run keeps its best checkpoint and is evaluated from it, as the Evaluation page does; its row's
      // epochs say where it stopped.
      if (run.run.status !== 'completed' && run.run.status !== 'stopped') throw new Error(`run ${run.run.id} is ${run.run.status}: only completed or stopped runs have a best checkpoint to evaluate`);
      const detail = await ctx.call('runs.get', { runId: run.run.id });
      if (!detail.config) throw new Error(`run ${run.run.id} is an external model, not trained here`);
      const config = detail.config;
      source ||= detail.run.datasetName;
      backend = `${detail.run.backend ?? '?'}`;
      runSeed = config.seed;
      const evalOf = async (split: 'PublicTest' | 'PrivateTest', views: number, flip = views > 0) => {
        // The compare table's notion of the same setting (split, views, mirror, checkpoint; any TTA seed).
        const reuse = values.fresh ? null : latestMatching(ctx.workbench().db, detail.run.id, { split, tta: views, ttaFlip: flip, checkpoint: 'best' });
        if (reuse) ctx.note(`run ${detail.run.id} on ${split}${flip ? ` (flip + ${views})` : ''}: stored evaluation ${reuse.id}`);
        return ctx.call('eval.get', { evaluationId: (reuse ?? (await evalWithProgress(ctx, { runId: detail.run.id, split, tta: views, ttaFlip: flip }))).id });
      };
      const pub = await evalOf('PublicTest', 0);
      const priv = await evalOf('PrivateTest', 0);
      const privFlip = await evalOf('PrivateTest', 0, true);
      const privTta = tta > 0 ? await evalOf('PrivateTest', tta) : null;
      members.push({ pub: pub.evaluation.id, priv: (privTta ?? privFlip).evaluation.id });
      rows.push({
        label: rowLabel(config),
        model: config.model,
        classWeights: config.classWeights,
        hidden: config.hidden ?? 0,
        runId: detail.run.id,
        epochsDone: detail.run.epochsDone,
        bestEpoch: detail.run.bestEpoch,
        publicTest: pub.evaluation.accuracy,
        privateTest: priv.evaluation.accuracy,
        privateTestFlip: privFlip.evaluation.accuracy,
        privateTestTta: privTta ? privTta.evaluation.accuracy : null,
        privateTestMacroF1: priv.evaluation.macroF1,
        trainMinutes: detail.run.durationSec === null ? null : detail.run.durationSec / 60,
      });
    }
    let ensemble: EnsembleRow | null = null;
    if (values.ensemble && rows.length >= 2) {
      const vote = async (ids: number[], split: string) => ctx.call('ensembles.create', { evaluationIds: ids, vote: 'soft', name: `bench: soft vote of runs ${rows.map((r) => r.runId).join('+')} (${split})` });
      const pub = await vote(members.map((m) => m.pub), 'PublicTest');
      const priv = await vote(members.map((m) => m.priv), 'PrivateTest');
      ensemble = { members: rows.map((r) => r.runId), publicTest: pub.accuracy, privateTest: priv.accuracy, privateTestMacroF1: priv.macroF1, privateSetting: tta > 0 ? `flip + ${tta} views` : 'flip' };
    }
    const table = markdownTable(rows, { dataset: source, seed: runSeed, backend, tta }, ensemble);
    writeFileSync(values.out!, table);
    ctx.note(`\n${table}\nwritten to ${values.out}`);
    console.log(JSON.stringify({ dataset: source, home, importSeconds, samples: dataset?.splits ?? null, seed: runSeed, tta, rows, ensemble }));
    return 0;
  } finally {
    await ctx.close();
  }
}
