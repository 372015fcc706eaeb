import type { Command } from '../command';
import { runIdArg } from './run';
import { summaryLine, throwIfFailed, watchRuns } from './run-watch';

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'Resume a stopped or failed run from its last checkpoint and train it to the end',
  usage: 'fer resume ID [--json]',
  allowPositionals: true,
  async run(ctx, positionals) {
    const id = runIdArg(positionals);
    await ctx.call('runs.resume', { runId: id });
    const runs = await watchRuns(ctx, [id]);
    for (const r of runs) ctx.print(summaryLine(r));
    throwIfFailed(runs);
    return runs[0];
  },
};
