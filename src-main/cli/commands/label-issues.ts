import { FERPLUS_CLASSES } from '../../../src-shared/contract/ferplus';
import { LABEL_ISSUE_RANKINGS, type CrowdRate, type LabelIssueRanking, type LabelIssuesReport } from '../../../src-shared/contract/label-issues';
import type { RevisionChangeInput } from '../../../src-shared/contract/revisions';
import { AppError } from '../../../src-shared/errors';
import { EMOTIONS } from '../../../src-shared/labels';
import { CliUsageError, numberOpt, stringOpt, type CliContext, type Command } from '../command';
import { CONTACT_SHEET_OPTIONS, writeContactSheet } from './cell';
import { confusionLines, describeEval, parseId, pct } from './eval-shared';

const isRanking = (r: string): r is LabelIssueRanking => (LABEL_ISSUE_RANKINGS as readonly string[]).includes(r);
const rate = (r: CrowdRate) => `${r.disagree} of ${r.withMajority} (${r.withMajority ? pct(r.disagree / r.withMajority) : '–'})`;

/**
 * --to-revision NAME: the listed faces as changes in a dataset revision (created on the evaluation's dataset when
 * there is none of that name): relabelled as the suggested class, or excluded. Faces the revision already changes
 * are left as they are and counted; the rest are stored together or not at all.
 */
async function toRevision(ctx: CliContext, rep: LabelIssuesReport, name: string, action: 'relabel' | 'exclude'): Promise<{ revisionId: number; added: number; skipped: number }> {
  const ev = rep.evaluation;
  const existing = (await ctx.call('revisions.list', {})).find((r) => r.name === name || String(r.id) === name);
  if (existing && existing.datasetId !== ev.datasetId) {
    throw new AppError('INVALID_INPUT', `Revision "${existing.name}" revises dataset ${existing.datasetId} (${existing.datasetName}), but evaluation ${ev.id} is of dataset ${ev.datasetId}: name a revision of that dataset, or a new name.`);
  }
  const have = existing ? new Set((await ctx.call('revisions.diff', { revision: existing.id })).changes.map((c) => c.sampleId)) : new Set<number>();
  const changes: RevisionChangeInput[] = rep.items
    .filter((it) => !have.has(it.sampleId))
    .map((it) => {
      const reason = `label issue: p(${EMOTIONS[it.givenLabel]}) ${it.selfConfidence.toFixed(3)}, suggested ${EMOTIONS[it.suggestedLabel]}`;
      return action === 'exclude' ? { kind: 'exclude', sampleId: it.sampleId, reason, evaluationId: ev.id } : { kind: 'relabel', sampleId: it.sampleId, newLabel: it.suggestedLabel, reason, evaluationId: ev.id };
    });
  const skipped = rep.items.length - changes.length;
  if (!changes.length) {
    if (!existing) throw new AppError('INVALID_INPUT', `Evaluation ${ev.id} flags no faces: nothing to put in a revision.`);
    ctx.print(`revision "${existing.name}" already changes all ${skipped} listed faces; nothing added`);
    return { revisionId: existing.id, added: 0, skipped };
  }
  const r = existing
    ? await ctx.call('revisions.addChanges', { revision: existing.id, changes })
    : await ctx.call('revisions.create', { dataset: ev.datasetId, name, note: `from the label issues of evaluation ${ev.id} (${ev.split}, ranked by ${rep.rankBy})`, changes });
  ctx.print(`${existing ? 'added to' : 'created'} revision ${r.id} "${r.name}": ${changes.length} face${changes.length > 1 ? 's' : ''} ${action === 'exclude' ? 'excluded' : 'relabelled as the suggested class'}${skipped ? ` (${skipped} already changed there, left as they were)` : ''}; now ${r.relabelled} relabelled, ${r.excluded} excluded`);
  ctx.print(`train on it: fer train --dataset ${ev.datasetId} --revision ${r.id} …`);
  return { revisionId: r.id, added: changes.length, skipped };
}

export const labelIssuesCommand: Command = {
  name: 'label-issues',
  summary: 'Faces whose label is probably wrong, by confident learning over an evaluation (use a split the model did not train on)',
  usage:
    'fer label-issues EVAL [--limit N] [--rank-by self-confidence|margin] [--to-revision NAME [--action relabel|exclude]] [--png FILE [--columns N] [--scale N] [--overlay …]] [--json]\n' +
    '  Confident learning (Northcutt et al., JAIR 2021) over the evaluation\'s stored probabilities: per-class thresholds,\n' +
    '  the confident joint, the estimated number of wrong labels, and the flagged faces, least self-confident (or\n' +
    '  lowest margin) first. The probabilities must be out-of-sample: an evaluation on the split the model trained on\n' +
    '  is flagged with a warning. With FER+ votes on the dataset, how often the crowd disagrees with flagged faces.\n' +
    '  --to-revision NAME puts the listed faces (the first --limit) into that dataset revision (made if new),\n' +
    '  relabelled as the suggested class (or --action exclude): then fer train --revision NAME.\n' +
    '  --png FILE draws the listed faces as one PNG grid (as fer cell --png).',
  options: { limit: { type: 'string' }, 'rank-by': { type: 'string' }, 'to-revision': { type: 'string' }, action: { type: 'string' }, ...CONTACT_SHEET_OPTIONS },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    if (positionals.length !== 1) throw new CliUsageError('fer label-issues takes exactly one EVAL id.');
    const rankBy = stringOpt(values, 'rank-by') ?? 'self-confidence';
    if (!isRanking(rankBy)) throw new CliUsageError(`--rank-by must be one of ${LABEL_ISSUE_RANKINGS.join(', ')}, got "${rankBy}".`);
    const revisionName = stringOpt(values, 'to-revision');
    const action = stringOpt(values, 'action') ?? 'relabel';
    if (action !== 'relabel' && action !== 'exclude') throw new CliUsageError(`--action must be relabel or exclude, got "${action}".`);
    if (stringOpt(values, 'action') !== undefined && revisionName === undefined) throw new CliUsageError('--action goes with --to-revision NAME.');
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
    const png = await writeContactSheet(ctx, values, rep.evaluation.id, { kind: 'labelIssues', rankBy }, rep.items.length || 1);
    const revision = revisionName === undefined ? null : (ctx.print(''), await toRevision(ctx, rep, revisionName, action));
    // --json: the report without the pixel blob.
    const { pixelsBase64: _pixels, ...rest } = rep;
    return { ...rest, ...(revision ? { revision } : {}), ...(png ? { png } : {}) };
  },
};
