import type { Command } from '../command';

export const runsCommand: Command = {
  name: 'runs',
  summary: 'List training runs: status, progress, best validation accuracy, backend',
  usage: 'fer runs [--json]',
  async run(ctx) {
    const runs = await ctx.call('runs.list', {});
    if (!runs.length) ctx.print('No runs yet. Start one with `fer train --dataset NAME --model baseline --epochs N`.');
    else {
      ctx.print(`${'id'.padStart(4)}  ${'status'.padEnd(9)}  ${'model'.padEnd(9)}  ${'dataset'.padEnd(16)}  epochs   best val_acc  backend  name`);
      for (const r of runs) {
        const acc = r.bestValAcc === null ? '-' : `${(r.bestValAcc * 100).toFixed(1)}% @${r.bestEpoch}`;
        ctx.print(
          `${String(r.id).padStart(4)}  ${r.status.padEnd(9)}  ${r.model.padEnd(9)}  ${r.datasetName.slice(0, 16).padEnd(16)}  ${`${r.epochsDone}/${r.epochs}`.padEnd(7)}  ${acc.padEnd(12)}  ${(r.backend ?? '-').padEnd(7)}  ${r.name}`,
        );
      }
    }
    return runs;
  },
};
