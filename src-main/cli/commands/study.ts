import type { StudyAxis, StudySummary } from '../../../src-shared/contract/studies';
import { CliUsageError, numberOpt, stringOpt, type CliContext, type Command, type OptionValues } from '../command';
import { MIRROR_OPTIONS, parseCheckpoint, parseIds, parseMirror, parseSplit } from './eval-shared';
import { summaryLine, throwIfFailed, watchRuns } from './run-watch';
import { describeCell } from '../../studies/plan';
import { duration as formatDuration } from '../../../src-shared/duration';
import { MODEL_PRESETS } from '../../engine/models/presets';
import type { Split } from '../../../src-shared/labels';
import { configFromFlags, trainCommand } from './train';

/** `--axis classWeights=false,true`: each value JSON where it parses (true, 0.001, null), else the text (vgg16). */
export function parseAxis(text: string): StudyAxis {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new CliUsageError(`--axis must be FIELD=V1,V2,…, got "${text}".`);
  const values = text
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim())
    .map((v) => {
      try {
        return JSON.parse(v) as string | number | boolean | null;
      } catch {
        return v;
      }
    });
  return { field: text.slice(0, eq).trim(), values };
}

function axesOf(values: OptionValues): StudyAxis[] {
  const raw = values.axis;
  const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : [];
  return list.map(parseAxis);
}

function printStudy(ctx: CliContext, s: StudySummary): void {
  const counts = Object.entries(s.counts).map(([k, n]) => `${n} ${k}`).join(', ');
  ctx.print(`study ${s.id} "${s.name}" (${s.status}): ${s.members.length} members${counts ? ` — ${counts}` : ''}`);
  ctx.print(`axes: ${s.axes.map((a) => `${a.field} ∈ {${a.values.map((v) => JSON.stringify(v)).join(', ')}}`).join(' × ') || 'none'}; seeds ${s.seeds.join(', ')}`);
  if (s.evaluate) ctx.print(`evaluated on ${s.evaluate.split}${s.evaluate.tta ? ` with TTA ${s.evaluate.tta}` : ''} (${s.evaluate.checkpoint} checkpoint) as members finish`);
  for (const m of s.members) {
    const acc = m.evaluation ? `  ${(m.evaluation.accuracy * 100).toFixed(2)}%` : m.evalError ? `  (evaluation failed: ${m.evalError})` : '';
    ctx.print(`  run ${m.runId}  ${m.status.padEnd(9)} ${m.name}${m.error ? `  (${m.error})` : ''}${acc}`);
  }
  for (const l of s.leftOut) ctx.print(`  left out: ${describeCell(l.cell)}, seed ${l.seed}: ${l.reason}`);
  if (s.ensembleId !== null) ctx.print(`ensemble ${s.ensembleId}: the best seed of each cell (${s.ensembleVote ?? 'soft'} vote)`);
  else if (s.ensembleVote) ctx.print(`planned: a ${s.ensembleVote}-voting ensemble of each cell's best seed, once every member is evaluated`);
}

/** Members queued by this process train in it (as with `fer train`), so create and resume follow them to the end. */
async function follow(ctx: CliContext, before: StudySummary, after: StudySummary): Promise<StudySummary> {
  const queued = after.members.filter((m) => m.status === 'queued' && before.members.find((b) => b.runId === m.runId)?.status !== 'queued').map((m) => m.runId);
  if (queued.length) {
    const runs = await watchRuns(ctx, queued);
    for (const r of runs) ctx.print(summaryLine(r));
    throwIfFailed(runs);
  }
  return ctx.call('studies.get', { studyId: after.id });
}

/** The paper's Table 2 as a study: each setup with and without class weights. */
const TABLE2_AXES: StudyAxis[] = [
  { field: 'preset', values: ['baseline', 'resnet50', 'senet50', 'vgg16'] },
  { field: 'classWeights', values: [false, true] },
];

/**
 * A preset sets its own epochs, batch, rate …; a flag the user gave for one of those fields (say --epochs 1 for a
 * smoke test) must still win, so it becomes a one-value axis, applied after the preset.
 */
function presetOverrides(base: Record<string, unknown>): StudyAxis[] {
  const presetFields = new Set(MODEL_PRESETS.flatMap((p) => Object.keys(p.config)));
  return Object.entries(base)
    .filter(([k, v]) => presetFields.has(k) && (v === null || ['string', 'number', 'boolean'].includes(typeof v)))
    .map(([field, v]) => ({ field, values: [v as string | number | boolean | null] }));
}

/** The plan the create flags describe (with --table2's axes), for studies.estimate. */
function planFromFlags(values: OptionValues): { base: Record<string, unknown>; axes: StudyAxis[]; seeds: number[] | undefined; leaveOutUnrunnable: boolean } {
  const base = configFromFlags(values);
  if (base.dataset === undefined) throw new CliUsageError('--dataset NAME is required (`fer datasets` lists them).');
  const table2 = values.table2 === true;
  const seedsText = stringOpt(values, 'seeds');
  return {
    base,
    axes: table2 ? [...TABLE2_AXES, ...presetOverrides(base)] : axesOf(values),
    seeds: seedsText ? parseSeeds(seedsText) : undefined,
    leaveOutUnrunnable: table2 || values['leave-out'] === true,
  };
}

function ensembleOf(values: OptionValues): 'soft' | 'hard' | undefined {
  const v = stringOpt(values, 'ensemble');
  if (v === undefined) return undefined;
  if (v !== 'soft' && v !== 'hard') throw new CliUsageError(`--ensemble must be soft or hard, got "${v}".`);
  return v;
}

/** `--evaluate SPLIT` with the export's --tta, --flip/--no-flip and --checkpoint: how members are evaluated as they finish. */
function evaluateOf(values: OptionValues): { split: Split; tta?: number; ttaFlip?: boolean; checkpoint?: 'best' | 'last' } | undefined {
  const split = stringOpt(values, 'evaluate');
  if (split === undefined) return undefined;
  const tta = numberOpt(values, 'tta');
  return {
    split: parseSplit({ split }, true),
    ...(tta !== undefined ? { tta } : {}),
    ...parseMirror(values),
    ...(stringOpt(values, 'checkpoint') !== undefined ? { checkpoint: parseCheckpoint(values) } : {}),
  };
}

/** Members are evaluated in this process as they complete: wait for those evaluations before printing and exiting. */
async function waitForEvaluations(ctx: CliContext, s: StudySummary): Promise<StudySummary> {
  if (!s.evaluate) return s;
  const pending = (x: StudySummary) => x.members.filter((m) => m.status === 'completed' && !m.evaluation && !m.evalError).length;
  let now = s;
  if (pending(now)) ctx.note(`evaluating ${pending(now)} member(s) on ${s.evaluate.split}…`);
  while (pending(now)) {
    await new Promise((r) => setTimeout(r, 500));
    now = await ctx.call('studies.get', { studyId: s.id });
  }
  return now;
}

const SUBCOMMANDS = ['create', 'estimate', 'show', 'pause', 'resume', 'export', 'extend', 'duplicate', 'ensemble'] as const;
/** fer train's config flags; replicates are the study's seeds, --name names the study, and --folds is train's own. */
const TRAIN_OPTIONS = Object.fromEntries(Object.entries(trainCommand.options ?? {}).filter(([k]) => !['replicates', 'folds', 'name', 'wait'].includes(k)));

function parseSeeds(text: string): number[] {
  return text.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0 || s.trim() === '') throw new CliUsageError(`--seeds must be integers ≥ 0 separated by commas, got "${text}".`);
    return n;
  });
}

export const studyCommand: Command = {
  name: 'study',
  summary: 'Studies: a base config × axes × seeds queued as runs; create, show, pause, resume, export',
  usage: [
    'fer study create --name NAME --dataset D [train options as for fer train] --axis FIELD=V1,V2 [--axis …] [--seeds 1,2,3] [--paused]',
    '                 [--evaluate SPLIT [--tta K] [--flip | --no-flip] [--checkpoint best|last]] [--reference paper-table-2] [--leave-out] [--ensemble soft|hard]',
    '  --ensemble: once every member is evaluated, an ensemble of each cell\'s best seed (by validation accuracy) joins the table;',
    '  --axis preset=baseline,vgg16 runs the paper\'s setups; --evaluate evaluates each member as it finishes;',
    '  --leave-out drops members that cannot run here (listed with why) instead of refusing the study.',
    'fer study create --table2 --dataset D [--name NAME] [--seeds …] [--epochs N …]',
    '  The paper\'s Table 2: presets baseline, resnet50, senet50, vgg16 × class weights off/on, evaluated on PrivateTest, a soft-voting ensemble,',
    '  with the paper\'s numbers beside them; a transfer preset without imported weights is left out and listed.',
    'fer study estimate [the create options]   how long the study would take here: a few batches timed per setup, nothing stored',
    'fer study show ID                 members and their status (--json: the whole study)',
    'fer study pause ID | resume ID    paused: members not yet started stay stopped; resume queues the stopped ones and trains them',
    'fer study extend ID [--axis FIELD=MORE,VALUES …] [--seeds MORE] [--leave-out]   adds the new cells × seeds to the study and trains them',
    'fer study ensemble ID [--ensemble soft|hard]   an ensemble of each cell\'s best seed (by validation accuracy), in the study\'s table',
    'fer study duplicate ID --name NAME [--paused]   the same plan and settings as a new study, trained afresh',
    'fer study export ID --format csv|md|latex [--out PATH] [--split S] [--tta K] [--flip | --no-flip] [--checkpoint best|last] [--columns ...]',
    '  Grouped by the axes, mean ± std over seeds, of one evaluation setting (a member without it is shown as missing).',
  ].join('\n'),
  options: {
    ...TRAIN_OPTIONS,
    name: { type: 'string' },
    axis: { type: 'string', multiple: true },
    seeds: { type: 'string' },
    paused: { type: 'boolean', default: false },
    evaluate: { type: 'string' },
    reference: { type: 'string' },
    'leave-out': { type: 'boolean', default: false },
    ensemble: { type: 'string' },
    table2: { type: 'boolean', default: false },
    format: { type: 'string' },
    out: { type: 'string' },
    split: { type: 'string' },
    tta: { type: 'string' },
    ...MIRROR_OPTIONS,
    checkpoint: { type: 'string' },
    columns: { type: 'string' },
  },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    const [sub, ...rest] = positionals;
    if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) throw new CliUsageError(`fer study needs one of ${SUBCOMMANDS.join(', ')}${sub ? `, got "${sub}"` : ''}.`);
    if (sub === 'estimate') {
      const plan = planFromFlags(values);
      ctx.note('timing a few training batches per setup…');
      const est = await ctx.callUnchecked('studies.estimate', { base: plan.base, axes: plan.axes, ...(plan.seeds ? { seeds: plan.seeds } : {}), leaveOutUnrunnable: plan.leaveOutUnrunnable });
      for (const g of est.groups) {
        ctx.print(`${g.label} on ${g.backend}: ${g.secondsPerStep.toFixed(3)} s a batch × ${Math.round(g.stepsPerMember)} batches × ${g.members} member(s) = ${formatDuration(g.seconds)}`);
      }
      for (const l of est.leftOut) ctx.print(`left out ${describeCell(l.cell)} (seed ${l.seed}): ${l.reason}`);
      ctx.print(`${est.members} members: at most ${formatDuration(est.totalSeconds)} one after another (early stopping ends many sooner)`);
      return est;
    }
    if (sub === 'create') {
      const table2 = values.table2 === true;
      const name = stringOpt(values, 'name') ?? (table2 ? 'Table 2' : undefined);
      if (!name) throw new CliUsageError('--name is required for a study.');
      const base = configFromFlags(values);
      if (base.dataset === undefined) throw new CliUsageError('--dataset NAME is required (`fer datasets` lists them).');
      const seedsText = stringOpt(values, 'seeds');
      const axes = axesOf(values);
      if (table2 && axes.length) throw new CliUsageError('--table2 sets the axes itself (preset × classWeights); leave out --axis.');
      const reference = stringOpt(values, 'reference') ?? (table2 ? 'paper-table-2' : undefined);
      const evaluate = evaluateOf(values) ?? (table2 ? { split: 'PrivateTest' as const } : undefined);
      const ensemble = ensembleOf(values);
      const created = await ctx.callUnchecked('studies.create', {
        name,
        base,
        axes: table2 ? [...TABLE2_AXES, ...presetOverrides(base)] : axes,
        ...(seedsText ? { seeds: parseSeeds(seedsText) } : {}),
        paused: values.paused === true,
        ...(evaluate ? { evaluate } : {}),
        ...(reference !== undefined ? { reference: reference as 'paper-table-2' } : {}),
        leaveOutUnrunnable: table2 || values['leave-out'] === true,
        ...(ensemble !== undefined ? { ensemble } : table2 ? { ensemble: 'soft' as const } : {}),
      });
      ctx.note(`study ${created.id}: ${created.members.length} members${created.status === 'paused' ? ' (paused)' : ' queued'}`);
      for (const l of created.leftOut) ctx.note(`left out ${describeCell(l.cell)} (seed ${l.seed}): ${l.reason}`);
      const done = await waitForEvaluations(ctx, await follow(ctx, { ...created, members: [] }, created));
      printStudy(ctx, done);
      return done;
    }
    if (rest.length !== 1) throw new CliUsageError(`fer study ${sub} takes one study ID.`);
    const studyId = parseIds(rest, 'STUDY')[0]!;
    if (sub === 'show' || sub === 'pause') {
      const s = await ctx.call(sub === 'show' ? 'studies.get' : 'studies.pause', { studyId });
      printStudy(ctx, s);
      return s;
    }
    if (sub === 'extend') {
      const seedsText = stringOpt(values, 'seeds');
      const before = await ctx.call('studies.get', { studyId });
      const after = await ctx.call('studies.extend', { studyId, axes: axesOf(values), seeds: seedsText ? parseSeeds(seedsText) : [], leaveOutUnrunnable: values['leave-out'] === true });
      ctx.note(`study ${studyId}: ${after.members.length - before.members.length} new member(s)`);
      const done = await waitForEvaluations(ctx, await follow(ctx, before, after));
      printStudy(ctx, done);
      return done;
    }
    if (sub === 'ensemble') {
      const vote = ensembleOf(values);
      const s = await ctx.call('studies.ensemble', { studyId, ...(vote ? { vote } : {}) });
      printStudy(ctx, s);
      return s;
    }
    if (sub === 'duplicate') {
      const name = stringOpt(values, 'name');
      if (!name) throw new CliUsageError('--name is required: the copy needs a name of its own.');
      const created = await ctx.call('studies.duplicate', { studyId, name, paused: values.paused === true });
      ctx.note(`study ${created.id}: a copy of study ${studyId} with ${created.members.length} members${created.status === 'paused' ? ' (paused)' : ' queued'}`);
      const done = await waitForEvaluations(ctx, await follow(ctx, { ...created, members: [] }, created));
      printStudy(ctx, done);
      return done;
    }
    if (sub === 'resume') {
      const before = await ctx.call('studies.get', { studyId });
      const done = await waitForEvaluations(ctx, await follow(ctx, before, await ctx.call('studies.resume', { studyId })));
      printStudy(ctx, done);
      return done;
    }
    const format = stringOpt(values, 'format');
    if (format !== 'csv' && format !== 'md' && format !== 'latex') throw new CliUsageError(`--format must be csv, md or latex${format ? `, got "${format}"` : ''}.`);
    const out = stringOpt(values, 'out');
    const cols = stringOpt(values, 'columns');
    const res = await ctx.call('studies.export', {
      studyId,
      format,
      // Left out, each takes the study's own evaluation setting.
      ...(stringOpt(values, 'split') !== undefined ? { split: parseSplit(values, false) } : {}),
      ...(numberOpt(values, 'tta') !== undefined ? { tta: numberOpt(values, 'tta') } : {}),
      ...parseMirror(values),
      ...(stringOpt(values, 'checkpoint') !== undefined ? { checkpoint: parseCheckpoint(values) } : {}),
      ...(cols ? { columns: cols.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      ...(out ? { path: out } : {}),
    });
    if (res.path) ctx.note(`wrote ${res.path}`);
    else if (!ctx.json) process.stdout.write(res.text);
    return res;
  },
};
