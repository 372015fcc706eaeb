import { EXTERNAL_SCALES, LABEL_PRESETS, type ExternalModelInfo, type ExternalScale } from '../../../src-shared/contract/models';
import { parseLabelsArg } from '../../engine/external/labels';
import { CliUsageError, numberOpt, stringOpt, type Command, type OptionValues } from '../command';

const USAGE = [
  'fer models import FILE --name NAME --dataset DATASET --input SIZE --channels 1|3 --scale SCALE [--mean M[,M,M] --std S[,S,S]] [--labels LABELS]',
  'fer models list',
  '',
  'FILE: a Keras 2 full model (.h5/.hdf5 from model.save), a Keras 3 .keras archive, or a tfjs layers or graph',
  'model.json with its shards (graph models: inference only).',
  `SCALE: ${EXTERNAL_SCALES.join(', ')} (unit: x/255; minus1to1: x/127.5 - 1; raw255: 0-255 as is; meanstd: (x - mean) / std on 0-255).`,
  `LABELS: the model's outputs in order — a preset (${Object.keys(LABEL_PRESETS).join(', ')}) or names such as`,
  "  angry,disgust,fear,happy,neutral,sad,surprise ('-' drops an output). Default: FER2013's order, 7-way models only.",
  'The model is dry-run on a few faces of DATASET before it is stored; it then appears as a completed run',
  '(model "external") that fer eval, cell, compare, ensemble and export take like any other.',
].join('\n');

export function describeExternal(m: ExternalModelInfo): string {
  const p = m.preprocess;
  const scale = p.scale === 'meanstd' ? `meanstd ${p.mean?.join('/') ?? 0}±${p.std?.join('/') ?? 1}` : p.scale;
  return `#${m.id} "${m.name}"  run ${m.runId}  ${m.format}, ${m.params.toLocaleString('en-US')} params, input ${p.inputSize}×${p.inputSize}×${p.channels} ${scale}, outputs ${p.labels.join(',')}  from ${m.sourceFile} (sha256 ${m.sha256.slice(0, 12)})`;
}

function numberList(values: OptionValues, name: string): number[] | undefined {
  const v = stringOpt(values, name);
  if (v === undefined) return undefined;
  const nums = v.split(',').map(Number);
  if (nums.some((n) => !Number.isFinite(n))) throw new CliUsageError(`--${name} takes numbers separated by commas, got "${v}".`);
  return nums;
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'Import classifiers trained elsewhere (Keras .h5/.keras, tfjs layers or graph) as external runs, and list them',
  usage: USAGE,
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    dataset: { type: 'string' },
    input: { type: 'string' },
    channels: { type: 'string' },
    scale: { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    labels: { type: 'string' },
  },
  async run(ctx, positionals, values) {
    const [sub, ...rest] = positionals;
    if (sub === 'import') {
      const file = rest[0];
      if (!file || rest.length > 1) throw new CliUsageError(`fer models import takes one FILE.\n${USAGE}`);
      const name = stringOpt(values, 'name');
      const dataset = stringOpt(values, 'dataset');
      const inputSize = numberOpt(values, 'input');
      const channels = numberOpt(values, 'channels');
      const scale = stringOpt(values, 'scale');
      const missing = [!name && '--name', !dataset && '--dataset', inputSize === undefined && '--input', channels === undefined && '--channels', !scale && '--scale'].filter(Boolean);
      if (missing.length) throw new CliUsageError(`fer models import needs ${missing.join(', ')}.\n${USAGE}`);
      const labels = stringOpt(values, 'labels');
      ctx.note(`reading ${file} …`);
      const info = await ctx.call('models.import', {
        path: file,
        name: name!,
        dataset: dataset!,
        preprocess: {
          inputSize: inputSize!,
          channels: channels as 1 | 3,
          scale: scale as ExternalScale,
          mean: numberList(values, 'mean') ?? null,
          std: numberList(values, 'std') ?? null,
          labels: labels ? (parseLabelsArg(labels) as never) : null,
        },
      });
      ctx.print(`imported: ${describeExternal(info)}`);
      ctx.print(`evaluate it with: fer eval ${info.runId} --split PrivateTest`);
      return info;
    }
    if (sub === 'list') {
      const list = await ctx.call('models.list', {});
      if (!list.length) ctx.print('no external models imported yet (fer models import FILE --name NAME …)');
      for (const m of list) ctx.print(describeExternal(m));
      return list;
    }
    throw new CliUsageError(`Unknown subcommand "${sub ?? ''}".\n${USAGE}`);
  },
};
