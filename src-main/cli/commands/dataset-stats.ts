import { EMOTIONS } from '../../../src-shared/labels';
import { CliUsageError, type Command } from '../command';

export const datasetStatsCommand: Command = {
  name: 'dataset-stats',
  summary: "Per split and class counts and shares (the paper's Table 1), class weights, and exact duplicates",
  usage: 'fer dataset-stats NAME|ID [--json]',
  allowPositionals: true,
  async run(ctx, positionals) {
    const [ref, ...extra] = positionals;
    if (!ref || extra.length) throw new CliUsageError('fer dataset-stats takes one dataset NAME or ID.');
    const stats = await ctx.call('datasets.stats', { dataset: ref });
    ctx.print(`dataset ${stats.dataset.id} "${stats.dataset.name}": ${stats.dataset.sampleCount} images from ${stats.dataset.sourcePath}`);
    ctx.print('');
    ctx.print(`${'class'.padEnd(10)} ${stats.table.map((t) => t.split.padStart(18)).join('')}  ${'weight'.padStart(7)}`);
    EMOTIONS.forEach((emotion, c) => {
      const cells = stats.table.map((t) => `${t.perClass[c]!.count} (${(t.perClass[c]!.share * 100).toFixed(1)}%)`.padStart(18)).join('');
      ctx.print(`${emotion.padEnd(10)} ${cells}  ${stats.classWeights[c]!.toFixed(3).padStart(7)}`);
    });
    ctx.print(`${'total'.padEnd(10)} ${stats.table.map((t) => String(t.total).padStart(18)).join('')}`);
    ctx.print('');
    const d = stats.duplicates;
    ctx.print(`exact duplicates: ${d.groups} group(s): ${d.withinSplit} within one split, ${d.crossSplit} across splits, ${d.conflictingLabels} with conflicting labels`);
    for (const g of d.examples.slice(0, 5)) {
      ctx.print(`  ${g.hash.slice(0, 12)}  samples ${g.sampleIds.join(', ')}  splits ${g.splits.join('/')}  labels ${g.labels.map((l) => EMOTIONS[l]).join('/')}`);
    }
    const c = stats.trainCopies;
    ctx.print('');
    ctx.print(`copies of Training faces (left out by de-duplicated scores; near = ${c.algorithm} within ${c.threshold} of 64 bits):`);
    for (const s of c.splits) ctx.print(`  ${s.split.padEnd(12)} ${s.total} faces: ${s.exact} exact copies, ${s.near} exact or near`);
    ctx.print(`  nearest Training face, bits apart (0–16): ${c.nearestDistances.map((n, d) => `${d}:${n}`).join(' ')}`);
    return stats;
  },
};
