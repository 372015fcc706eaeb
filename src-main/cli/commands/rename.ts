import { CliUsageError, stringOpt, type Command } from '../command';
import { runIdArg } from './run';

/** `fer rename`: a run's name (its legend in `fer curves`, its label in compare and exports) and notes, at any status. */
export const renameCommand: Command = {
  name: 'rename',
  summary: "Rename a run (the legend of its curves, its label in tables and exports) or replace its notes; any status",
  usage: 'fer rename ID NAME [--notes TEXT] [--json]\n  Quote a NAME with spaces. With --notes the NAME may be left out (the name stays); --notes "" clears the notes.',
  options: { notes: { type: 'string' } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    const runId = runIdArg(positionals);
    const notes = stringOpt(values, 'notes');
    if (positionals.length > 2) throw new CliUsageError(`Give the new name as one argument: quote it ("fer rename ${runId} 'my name'"); got ${positionals.length - 1} words.`);
    const name = positionals[1];
    if (name === undefined && notes === undefined) throw new CliUsageError('Give a new name (fer rename ID NAME), new notes (--notes TEXT), or both.');
    const run = await ctx.call('runs.update', { runId, name, notes });
    ctx.print(`run ${run.id}: ${run.name}${notes !== undefined ? ' (notes updated)' : ''}`);
    return run;
  },
};
