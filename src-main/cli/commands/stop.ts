import type { Command } from '../command';
import { runIdArg } from './run';

export const stopCommand: Command = {
  name: 'stop',
  summary: 'Stop a run gracefully: it finishes the current batch and writes a checkpoint',
  usage: 'fer stop ID [--json]',
  allowPositionals: true,
  async run(ctx, positionals) {
    const run = await ctx.call('runs.stop', { runId: runIdArg(positionals) });
    ctx.print(`run ${run.id} ${run.status}`);
    return run;
  },
};
