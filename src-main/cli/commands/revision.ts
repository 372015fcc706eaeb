import type { RevisionChangeInput, RevisionDiff, RevisionSummary } from '../../../src-shared/contract/revisions';
import { EMOTIONS } from '../../../src-shared/labels';
import { CliUsageError, stringOpt, type CliContext, type Command } from '../command';
import { parseEmotion, parseId } from './eval-shared';

const USAGE = [
  'fer revision create NAME --dataset NAME|ID [--from REV] [--note TEXT]',
  'fer revision add REV SAMPLE=EMOTION|SAMPLE=exclude ... [--reason TEXT]',
  'fer revision remove REV SAMPLE ...',
  'fer revision show REV',
  'fer revision list [--dataset NAME|ID]',
  'fer revision delete REV',
  '',
  'A dataset revision relabels or excludes faces of an imported dataset without changing the import: train on it',
  'with `fer train --dataset NAME --revision REV`. REV: the revision\'s id or name. SAMPLE: a face\'s sample id (as',
  '`fer cell` and `fer label-issues` list them); EMOTION: a name (sad) or 0–6. `add` stores all its changes or none.',
  'A revision a run trained on is frozen: make a new one to change it (--from REV starts with a copy of its changes).',
].join('\n');

function summaryLine(r: RevisionSummary): string {
  const used = r.usedByRuns.length ? `, trained on by run${r.usedByRuns.length > 1 ? 's' : ''} ${r.usedByRuns.join(', ')}` : '';
  return `revision ${r.id} "${r.name}" of dataset ${r.datasetId} (${r.datasetName}): ${r.relabelled} relabelled, ${r.excluded} excluded${used}${r.note ? ` — ${r.note}` : ''}`;
}

/** `123=sad`, `123=4` or `123=exclude`. */
function parseChange(token: string, reason: string): RevisionChangeInput {
  const m = /^(\d+)=(.+)$/.exec(token);
  if (!m) throw new CliUsageError(`"${token}" is not SAMPLE=EMOTION or SAMPLE=exclude (e.g. 1234=sad).`);
  const sampleId = parseId(m[1], 'SAMPLE');
  if (m[2]!.toLowerCase() === 'exclude') return { kind: 'exclude', sampleId, reason };
  return { kind: 'relabel', sampleId, newLabel: parseEmotion(m[2], `change ${token}`), reason };
}

function printDiff(ctx: CliContext, d: RevisionDiff): void {
  ctx.print(summaryLine(d.revision));
  ctx.print('');
  ctx.print(`${'split'.padEnd(12)} ${'faces'.padStart(13)}  ${EMOTIONS.map((e) => e.padStart(11)).join(' ')}`);
  for (const s of d.splits) {
    const cells = s.before.map((b, k) => (b === s.after[k] ? String(b) : `${b}→${s.after[k]}`).padStart(11));
    const total = s.totalBefore === s.totalAfter ? String(s.totalBefore) : `${s.totalBefore}→${s.totalAfter}`;
    ctx.print(`${s.split.padEnd(12)} ${total.padStart(13)}  ${cells.join(' ')}`);
  }
  ctx.print('');
  if (!d.changes.length) ctx.print('no changes yet: fer revision add REV SAMPLE=EMOTION ...');
  for (const c of d.changes) {
    const what = c.kind === 'exclude' ? `${EMOTIONS[c.oldLabel]} → excluded` : `${EMOTIONS[c.oldLabel]} → ${EMOTIONS[c.newLabel!]}`;
    const why = [c.reason, c.evaluationId === null ? '' : `evaluation ${c.evaluationId}`].filter(Boolean).join(', ');
    ctx.print(`${String(c.sampleId).padStart(8)}  ${c.split.padEnd(12)} ${what}${why ? `  (${why})` : ''}`);
  }
}

export const revisionCommand: Command = {
  name: 'revision',
  summary: 'Dataset revisions: relabel or exclude faces without changing the import, then train on the revision',
  usage: USAGE,
  allowPositionals: true,
  options: { dataset: { type: 'string' }, from: { type: 'string' }, note: { type: 'string' }, reason: { type: 'string' } },
  async run(ctx, positionals, values) {
    const [sub, ...rest] = positionals;
    const one = (what: string) => {
      if (rest.length !== 1) throw new CliUsageError(`fer revision ${sub} takes one ${what}.\n${USAGE}`);
      return rest[0]!;
    };
    if (sub === 'create') {
      const dataset = stringOpt(values, 'dataset');
      if (!dataset) throw new CliUsageError('fer revision create needs --dataset NAME|ID (the dataset it revises).');
      const from = stringOpt(values, 'from');
      const r = await ctx.call('revisions.create', { dataset, name: one('NAME'), note: stringOpt(values, 'note') ?? '', ...(from === undefined ? {} : { from }) });
      ctx.print(`created ${summaryLine(r)}`);
      return r;
    }
    if (sub === 'add') {
      const [rev, ...tokens] = rest;
      if (!rev || !tokens.length) throw new CliUsageError(`fer revision add takes REV and at least one SAMPLE=EMOTION or SAMPLE=exclude.\n${USAGE}`);
      const reason = stringOpt(values, 'reason') ?? '';
      const r = await ctx.call('revisions.addChanges', { revision: rev, changes: tokens.map((t) => parseChange(t, reason)) });
      ctx.print(summaryLine(r));
      return r;
    }
    if (sub === 'remove') {
      const [rev, ...ids] = rest;
      if (!rev || !ids.length) throw new CliUsageError(`fer revision remove takes REV and at least one SAMPLE id.\n${USAGE}`);
      const r = await ctx.call('revisions.removeChanges', { revision: rev, sampleIds: ids.map((s) => parseId(s, 'SAMPLE')) });
      ctx.print(summaryLine(r));
      return r;
    }
    if (sub === 'show') {
      const d = await ctx.call('revisions.diff', { revision: one('REV') });
      printDiff(ctx, d);
      return d;
    }
    if (sub === 'list') {
      if (rest.length) throw new CliUsageError(`fer revision list takes no positional arguments.\n${USAGE}`);
      const dataset = stringOpt(values, 'dataset');
      const list = await ctx.call('revisions.list', dataset === undefined ? {} : { dataset });
      if (!list.length) ctx.print('no dataset revisions yet (fer revision create NAME --dataset NAME)');
      for (const r of list) ctx.print(summaryLine(r));
      return list;
    }
    if (sub === 'delete') {
      return ctx.call('revisions.delete', { revision: one('REV') });
    }
    throw new CliUsageError(`Unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}.\n${USAGE}`);
  },
};
