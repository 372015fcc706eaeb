import { FERPLUS_CLASSES } from '../../../src-shared/contract/ferplus';
import { LABEL_ISSUE_RANKINGS, type CrowdRate, type LabelIssueRanking } from '../../../src-shared/contract/label-issues';
import { EMOTIONS } from '../../../src-shared/labels';
import { CliUsageError, numberOpt, stringOpt, type Command } from '../command';
import { confusionLines, describeEval, parseId, pct } from './eval-shared';

const isRanking = (r: string): r is LabelIssueRanking => (LABEL_ISSUE_RANKINGS as readonly string[]).includes(r);
const rate = (r: CrowdRate) => `${r.disagree} of ${r.withMajority} (${r.withMajority ? pct(r.disagree / r.withMajority) : '–'})`;

export const labelIssuesCommand: Command = {
  name: 'label-issues',
  summary: 'Faces whose label is probably wrong, by confident learning over an evaluation (use a split the model did not train on)',
  usage:
    'fer label-issues EVAL [--limit N] [--rank-by self-confidence|margin] [--json]\n' +
    '  Confident learning (Northcutt et al., JAIR 2021) over the evaluation\'s stored probabilities: per-class thresholds,\n' +
    '  the confident joint, the estimated number of wrong labels, and the flagged faces, least self-confident (or\n' +
    '  lowest margin) first. The probabilities must be out-of-sample: an evaluation on the split the model trained on\n' +
    '  is flagged with a warning. With FER+ votes on the dataset, how often the crowd disagrees with flagged faces.',
  options: { limit: { type: 'string' }, 'rank-by': { type: 'string' } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    if (positionals.length !== 1) throw new CliUsageError('fer label-issues takes exactly one EVAL id.');
    const rankBy = stringOpt(values, 'rank-by') ?? 'self-confidence';
    if (!isRanking(rankBy)) throw new CliUsageError(`--rank-by must be one of ${LABEL_ISSUE_RANKINGS.join(', ')}, got "${rankBy}".`);
    // The limit's bounds are the contract's: a bad one comes back as BAD_ARGS naming the field.
    const rep = await ctx.call('eval.labelIssues', { evaluationId: parseId(positionals[0], 'EVAL'), limit: numberOpt(values, 'limit') ?? 20, rankBy });
    if (rep.warning) ctx.note(`warning: ${rep.warning}`);
    ctx.print(describeEval(rep.evaluation));
    ctx.print('');
    ctx.print('per-class thresholds (mean p of the class over the faces labelled with it):');
    ctx.print('  ' + rep.thresholds.map((t, k) => `${EMOTIONS[k]} ${t === null ? '–' : t.toFixed(3)}`).join(', '));
    ctx.print('');
    ctx.print('confident joint (rows: given label, columns: the class the model is confident of):');
    for (const l of confusionLines(rep.confidentJoint, false, 'given\\conf')) ctx.print(l);
    ctx.print('');
    const cells = rep.issuesPerCell
      .flatMap((row, i) => row.map((n, j) => ({ i, j, n })))
      .filter((c) => c.n > 0)
      .sort((a, b) => b.n - a.n)
      .slice(0, 8);
    ctx.print(`estimated wrong labels: ${rep.estimatedIssues} of ${rep.evaluation.samples} faces${cells.length ? ` (most: ${cells.map((c) => `${EMOTIONS[c.i]} → ${EMOTIONS[c.j]} ${c.n}`).join(', ')})` : ''}`);
    ctx.print(`flagged: ${rep.flagged} faces`);
    if (rep.ferplus) ctx.print(`FER+ majority differs from the label: flagged ${rate(rep.ferplus.flagged)}; unflagged ${rate(rep.ferplus.unflagged)}`);
    if (rep.inSample !== false) ctx.print(`(${rep.inSample ? 'in-sample' : 'possibly in-sample'} probabilities: see the warning)`);
    ctx.print('');
    ctx.print(`ranked by ${rep.rankBy}, first ${rep.items.length}:`);
    ctx.print(`${'rank'.padStart(4)} ${'sample'.padStart(8)} ${'given'.padEnd(9)} ${'suggested'.padEnd(9)} ${'p(given)'.padStart(8)} ${'margin'.padStart(7)}${rep.ferplus ? '  FER+ majority' : ''}`);
    rep.items.forEach((it, r) => {
      const crowd = it.crowdMajority === null ? '' : `  ${FERPLUS_CLASSES[it.crowdMajority]}`;
      ctx.print(`${String(r + 1).padStart(4)} ${String(it.sampleId).padStart(8)} ${EMOTIONS[it.givenLabel]!.padEnd(9)} ${EMOTIONS[it.suggestedLabel]!.padEnd(9)} ${it.selfConfidence.toFixed(3).padStart(8)} ${it.margin.toFixed(3).padStart(7)}${crowd}`);
    });
    // --json: the report without the pixel blob.
    const { pixelsBase64: _pixels, ...rest } = rep;
    return rest;
  },
};
