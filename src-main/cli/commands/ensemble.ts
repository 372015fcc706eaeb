import type { EnsembleSummary } from '../../../src-shared/contract/evaluation';
import { CliUsageError, stringOpt, type Command } from '../command';
import { describeEval, evalWithProgress, parseIds, parseSplit, pct } from './eval-shared';

export const ensembleCommand: Command = {
  name: 'ensemble',
  summary: "Combine runs' predictions by soft or hard voting, store the ensemble and evaluate it",
  usage: 'fer ensemble RUN... --split S [--vote soft|hard] [--weights 1,1,2] [--name NAME] [--evaluations] [--json]\n' +
    '  Each RUN contributes its newest evaluation on S (evaluated now if it has none).\n' +
    '  --evaluations: the positionals are evaluation ids instead of run ids.',
  options: { split: { type: 'string' }, vote: { type: 'string' }, weights: { type: 'string' }, name: { type: 'string' }, evaluations: { type: 'boolean', default: false } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    const ids = parseIds(positionals, values.evaluations ? 'EVALUATION' : 'RUN');
    const vote = stringOpt(values, 'vote') ?? 'soft';
    if (vote !== 'soft' && vote !== 'hard') throw new CliUsageError(`--vote must be soft or hard, got "${vote}".`);
    const w = stringOpt(values, 'weights');
    const weights = w === undefined ? undefined : w.split(',').map((s) => {
      const n = Number(s);
      if (!Number.isFinite(n) || n < 0) throw new CliUsageError(`--weights must be non-negative numbers, got "${s}".`);
      return n;
    });
    let evaluationIds = ids;
    if (!values.evaluations) {
      const split = parseSplit(values, true);
      evaluationIds = [];
      for (const runId of ids) {
        const existing = (await ctx.call('eval.list', { runId })).find((e) => e.split === split);
        if (existing) evaluationIds.push(existing.id);
        else {
          ctx.note(`run ${runId} has no evaluation on ${split} yet: evaluating it now`);
          evaluationIds.push((await evalWithProgress(ctx, { runId, split })).id);
        }
      }
    }
    const name = stringOpt(values, 'name');
    const ens: EnsembleSummary = await ctx.call('ensembles.create', { evaluationIds, vote, ...(weights ? { weights } : {}), ...(name ? { name } : {}) });
    ctx.print(`ensemble ${ens.ensemble.id} "${ens.ensemble.name}" (${vote} vote)`);
    for (const m of ens.ensemble.members) {
      const mark = m.evaluationId === ens.ensemble.bestMemberEvaluationId ? ' ← best member' : '';
      ctx.print(`  evaluation ${m.evaluationId} ${m.name}${m.seed === null ? '' : ` (seed ${m.seed})`} weight ${m.weight}: ${pct(m.accuracy)}${mark}`);
    }
    ctx.print(describeEval(ens));
    ctx.print(`against its best member: fixed ${ens.ensemble.fixed.length} faces, broke ${ens.ensemble.broken.length}`);
    return ens;
  },
};
