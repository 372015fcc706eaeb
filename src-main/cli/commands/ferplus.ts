import { FERPLUS_CLASSES, type FerPlusLayer } from '../../../src-shared/contract/ferplus';
import { CliUsageError, stringOpt, type CliContext, type Command } from '../command';

const USAGE = [
  'fer ferplus import FILE --dataset NAME|ID',
  'fer ferplus show NAME|ID',
  '',
  "FILE: Microsoft FER+'s fer2013new.csv (Usage, Image name, neutral … NF: 10 crowd votes per face, in",
  "fer2013.csv's row order). The dataset must be imported from fer2013.csv; rows, split counts and each row's",
  'Usage are checked before anything is stored. Evaluations of that dataset are then also scored against the',
  'FER+ majority label, and `fer cell … --crowd disagree` lists the faces the crowd labels differently.',
].join('\n');

function printLayer(ctx: CliContext, l: FerPlusLayer): void {
  ctx.print(`FER+ votes on dataset ${l.datasetId}: ${l.rows} rows from ${l.sourcePath}`);
  ctx.print(`  majority labels: ${FERPLUS_CLASSES.map((c, k) => `${c} ${l.majorityCounts[k]}`).join(', ')}`);
  ctx.print(`  left out of FER+ scores: ${l.leftOut.contempt} contempt, ${l.leftOut.unknown} unknown or no majority, ${l.leftOut.nonFace} not a face`);
  ctx.print(`  faces whose FER+ majority differs from the FER2013 label: ${l.disagreeing}`);
}

export const ferplusCommand: Command = {
  name: 'ferplus',
  summary: "Add Microsoft FER+'s crowd votes (fer2013new.csv) to a FER2013 dataset, or show them",
  usage: USAGE,
  allowPositionals: true,
  options: { dataset: { type: 'string' } },
  async run(ctx, positionals, values) {
    const [sub, ...rest] = positionals;
    if (sub === 'import') {
      const file = rest[0];
      const dataset = stringOpt(values, 'dataset');
      if (!file || rest.length > 1) throw new CliUsageError(`fer ferplus import takes one FILE.\n${USAGE}`);
      if (!dataset) throw new CliUsageError('fer ferplus import needs --dataset NAME|ID (a dataset imported from fer2013.csv).');
      const layer = await ctx.call('ferplus.import', { path: file, dataset });
      if (layer.replaced) ctx.print('replaced the earlier FER+ votes');
      printLayer(ctx, layer);
      return layer;
    }
    if (sub === 'show') {
      if (rest.length !== 1) throw new CliUsageError(`fer ferplus show takes one dataset NAME or ID.\n${USAGE}`);
      const layer = await ctx.call('ferplus.get', { dataset: rest[0]! });
      if (!layer) ctx.print(`dataset ${rest[0]} has no FER+ votes: fer ferplus import FILE --dataset ${rest[0]}`);
      else printLayer(ctx, layer);
      return layer;
    }
    throw new CliUsageError(`Unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}.\n${USAGE}`);
  },
};
