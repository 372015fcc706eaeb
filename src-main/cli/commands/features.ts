import type { FeatureStoreEntry } from '../../../src-shared/contract/features';
import { CliUsageError, type Command } from '../command';

const USAGE = [
  'fer features list',
  'fer features clear KEY | --all',
  '',
  'The feature store: a frozen base\'s features of each face, kept in the home (cache/features) so that later runs',
  'with the same frozen base (model, input, weights, backend) reuse them instead of computing them again.',
  'FER_FEATURE_STORE=off keeps runs from reading or writing it.',
].join('\n');

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function describe(e: FeatureStoreEntry): string[] {
  const files = e.files.map((f) => `  dataset ${f.datasetId} ${f.split}: ${f.rows === null ? 'unreadable header' : `${f.rows.toLocaleString('en-US')} faces`}, ${mib(f.bytes)}`);
  return [`${e.key}  ${e.summary}  (${mib(e.bytes)})`, ...(files.length ? files : ['  no features yet'])];
}

export const featuresCommand: Command = {
  name: 'features',
  summary: 'List or clear the frozen-base feature store that cached runs reuse',
  usage: USAGE,
  allowPositionals: true,
  options: { all: { type: 'boolean', default: false } },
  async run(ctx, positionals, values) {
    const [sub, ...rest] = positionals;
    if (sub === 'list') {
      if (rest.length) throw new CliUsageError(`fer features list takes no arguments.\n${USAGE}`);
      const list = await ctx.call('features.list', {});
      if (!list.length) ctx.print('the feature store is empty (a run with cacheFeatures on fills it)');
      for (const e of list) describe(e).forEach((line) => ctx.print(line));
      if (list.length) ctx.print(`total ${mib(list.reduce((a, e) => a + e.bytes, 0))}`);
      return list;
    }
    if (sub === 'clear') {
      const all = values.all === true;
      if (all === (rest.length === 1) || rest.length > 1) throw new CliUsageError(`fer features clear takes one KEY or --all.\n${USAGE}`);
      const out = await ctx.call('features.clear', all ? { all: true } : { key: rest[0]! });
      ctx.print(out.cleared.length ? `cleared ${out.cleared.join(', ')}` : 'the feature store was already empty');
      return out;
    }
    throw new CliUsageError(`Unknown subcommand "${sub ?? ''}".\n${USAGE}`);
  },
};
