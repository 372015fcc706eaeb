import { CliUsageError, type Command } from '../command';
import { confusionLines, describeEval, parseId } from './eval-shared';

export const diffCommand: Command = {
  name: 'diff',
  summary: "Run-versus-run: B's confusion minus A's, the faces that flipped each way, McNemar's test",
  usage: 'fer diff EVAL_A EVAL_B [--json]',
  allowPositionals: true,
  async run(ctx, positionals) {
    if (positionals.length !== 2) throw new CliUsageError('fer diff takes two evaluation ids: EVAL_A EVAL_B.');
    const d = await ctx.call('eval.diff', { a: parseId(positionals[0], 'EVAL_A'), b: parseId(positionals[1], 'EVAL_B') });
    ctx.print(`A: ${describeEval(d.a)}`);
    ctx.print(`B: ${describeEval(d.b)}`);
    ctx.print(`\nB fixed ${d.fixed.length} faces A got wrong; B broke ${d.broken.length} faces A got right.`);
    ctx.print(`McNemar: b=${d.mcnemar.b}, c=${d.mcnemar.c}, exact p=${d.mcnemar.pValueExact.toPrecision(4)}, χ²=${d.mcnemar.statistic.toFixed(3)} (p=${d.mcnemar.pValueChiSquare.toPrecision(4)})`);
    ctx.print('\nconfusion B − A:');
    for (const l of confusionLines(d.confusionDiff, true)) ctx.print(l);
    return d;
  },
};
