import type { InvokeParsedArgs } from '../../src-shared/contract';
import { studiesInvoke, studyGroupBy, type StudyEstimate, type StudySummary } from '../../src-shared/contract/studies';
import { runTimingJob } from '../evaluation/runner';
import { resolveWeightsFile } from '../trainer/data';
import { AppError, toErrorInfo } from '../../src-shared/errors';
import { renderTable } from '../analysis/export';
import type { Workbench } from '../context';
import { compareTable } from '../evaluation/compare-table';
import { writeFileAtomic } from '../write-file';
import { describeCell, planStudy, PRESET_AXIS, type PlannedMember } from '../studies/plan';
import { studyEvaluator } from '../studies/auto-evaluate';
import { ensembleBestMembers } from '../studies/ensemble';
import { listWeights } from '../engine/weights/catalog';
import { TRANSFER_ARCHITECTURES } from '../../src-shared/contract/weights';
import { COMPARE_METRICS } from '../../src-shared/contract/evaluation';
import type { TrainConfig } from '../../src-shared/contract/runs';
import { insertStudy, linkMember, setStudyStatus, studyIds, updateStudyPlan } from '../store/studies';
import { getStudy } from '../studies/summary';
import { queueFor } from '../trainer/queue';
import { insertRun, nowIso, patchRun, runSummary } from '../store/runs';
import { resumeRun, splitCount, validateConfig } from './runs';
import { appVersion } from './system';
import type { HandlersFor } from './types';

/**
 * studies.create: plans base × axes × seeds, checks every member's config as runs.create would (dataset,
 * model limits, batch vs samples), then stores the study, its runs and the links in one transaction, so a bad
 * cell leaves nothing behind. The members are ordinary runs, queued here unless the study starts paused.
 */
function createStudy(wb: Workbench, args: InvokeParsedArgs<'studies.create'>): StudySummary {
  const { ready, leftOut } = checkMembers(wb, planStudy(args.base, args.axes, args.seeds), args.leaveOutUnrunnable);
  const { studyId, runIds } = wb.db.transaction(() => {
    const id = insertStudy(wb.db, {
      name: args.name,
      base: args.base,
      axes: args.axes,
      seeds: args.seeds,
      status: args.paused ? 'paused' : 'active',
      evaluate: args.evaluate,
      reference: args.reference,
      leftOut,
      ensembleVote: args.ensemble,
    });
    return { studyId: id, runIds: storeMembers(wb, id, args.name, ready, args.paused) };
  })();
  startMembers(wb, args.paused ? [] : runIds);
  return getStudy(wb.db, studyId);
}

type ReadyMember = PlannedMember & ReturnType<typeof validateConfig>;

/**
 * Every planned member's config checked as runs.create would (dataset, model limits, batch vs samples); one that
 * cannot run here refuses the whole plan naming its cell, or with `leaveOut` is set aside with why.
 */
function checkMembers(wb: Workbench, planned: readonly PlannedMember[], leaveOut: boolean): { ready: ReadyMember[]; leftOut: StudySummary['leftOut'] } {
  const leftOut: StudySummary['leftOut'] = [];
  const ready = planned.flatMap((m) => {
    try {
      return [{ ...m, ...validateConfig(wb, withImportedWeights(wb, m)) }];
    } catch (err) {
      const info = toErrorInfo(err);
      if (leaveOut) {
        leftOut.push({ cell: m.cell, seed: m.seed, reason: info.message });
        return [];
      }
      throw new AppError(info.code, `The member ${describeCell(m.cell)} (seed ${m.seed}): ${info.message}`);
    }
  });
  if (planned.length && !ready.length) throw new AppError('INVALID_INPUT', `No member of the study can run here: ${leftOut.map((l) => `${describeCell(l.cell)}: ${l.reason}`).join('; ')}`);
  return { ready, leftOut };
}

/** The members' runs and their links to the study (inside the caller's transaction); stopped when the study is paused. */
function storeMembers(wb: Workbench, studyId: number, studyName: string, ready: readonly ReadyMember[], paused: boolean): number[] {
  return ready.map((m) => {
    const runId = insertRun(wb, { name: `${studyName} · ${describeCell(m.cell)} · seed ${m.seed}`, datasetId: m.datasetId, config: m.config, groupId: null, codeVersion: appVersion() });
    linkMember(wb.db, studyId, runId, m.cell);
    if (paused) patchRun(wb, runId, { status: 'stopped', finished_at: nowIso() });
    return runId;
  });
}

function startMembers(wb: Workbench, runIds: readonly number[]): void {
  studyEvaluator(wb);
  const queue = queueFor(wb);
  for (const id of runIds) queue.enqueue(id, false);
}

const memberKey = (cell: Record<string, unknown>, seed: number) => JSON.stringify([cell, seed]);

/**
 * studies.extend: more values on existing axes and more seeds. Only the new cells × seeds are planned, checked
 * and queued (stopped if the study is paused); the members already there are left as they are.
 */
function extendStudy(wb: Workbench, args: InvokeParsedArgs<'studies.extend'>): StudySummary {
  const study = getStudy(wb.db, args.studyId);
  const unknown = args.axes.filter((x) => !study.axes.some((a) => a.field === x.field));
  if (unknown.length) {
    throw new AppError('INVALID_INPUT', `${unknown.map((u) => `"${u.field}"`).join(', ')} ${unknown.length > 1 ? 'are not axes' : 'is not an axis'} of study ${study.id}; its axes are ${study.axes.map((a) => a.field).join(', ') || 'none'} (a new axis would change what every member means: duplicate the study instead).`);
  }
  const axes = study.axes.map((a) => {
    const add = args.axes.find((x) => x.field === a.field)?.values ?? [];
    const have = new Set(a.values.map((v) => JSON.stringify(v)));
    return { field: a.field, values: [...a.values, ...add.filter((v) => !have.has(JSON.stringify(v)))] };
  });
  const seeds = [...study.seeds, ...args.seeds.filter((s) => !study.seeds.includes(s))];
  const existing = new Set([...study.members, ...study.leftOut].map((m) => memberKey(m.cell, m.seed)));
  const fresh = planStudy(study.base, axes, seeds).filter((m) => !existing.has(memberKey(m.cell, m.seed)));
  if (!fresh.length) throw new AppError('INVALID_INPUT', `That adds nothing to study ${study.id}: every value and seed given is already in it.`);
  const { ready, leftOut } = checkMembers(wb, fresh, args.leaveOutUnrunnable);
  const paused = study.status === 'paused';
  const runIds = wb.db.transaction(() => {
    updateStudyPlan(wb.db, study.id, { axes, seeds, leftOut: [...study.leftOut, ...leftOut] });
    return storeMembers(wb, study.id, study.name, ready, paused);
  })();
  startMembers(wb, paused ? [] : runIds);
  return getStudy(wb.db, study.id);
}

/** What changes the cost of a training batch: members that agree on these share one timing. */
function costKey(c: TrainConfig): string {
  return JSON.stringify([c.model, c.inputSize, c.channels, c.batch, c.freeze, c.hidden, c.features, c.backend, c.weights, c.augment !== null]);
}

function costLabel(c: TrainConfig): string {
  return `${c.model} ${c.inputSize}×${c.inputSize}${c.channels === 3 ? ' RGB' : ''}, batch ${c.batch}${c.freeze ? `, ${c.freeze} frozen` : ''}${c.hidden ? `, FC ${c.hidden}` : ''}${c.features !== 'final' ? `, ${c.features}` : ''}`;
}

/**
 * studies.estimate: the plan checked as studies.create checks it, then a few batches timed per distinct setup in
 * the evaluation process, scaled to each member's epochs × batches (validation as a third of a batch per batch of
 * faces: forward only). An upper bound: early stopping ends many members sooner.
 */
async function estimateStudy(wb: Workbench, args: InvokeParsedArgs<'studies.estimate'>): Promise<StudyEstimate> {
  const { ready, leftOut } = checkMembers(wb, planStudy(args.base, args.axes, args.seeds), args.leaveOutUnrunnable);
  const groups = new Map<string, ReadyMember[]>();
  for (const m of ready) groups.set(costKey(m.config), [...(groups.get(costKey(m.config)) ?? []), m]);
  const firsts = [...groups.values()].map((g) => g[0]!.config);
  const timings = await runTimingJob(
    wb,
    firsts.map((config) => ({ config, weightsFile: resolveWeightsFile(wb, config.weights) })),
  );
  const out: StudyEstimate['groups'] = [...groups.values()].map((members, i) => {
    const t = timings[i]!;
    const steps = members.map((m) => {
      const c = m.config;
      const train = Math.min(splitCount(wb, m.datasetId, c.trainSplit), c.limitTrain ?? Infinity);
      const val = c.valSplit ? splitCount(wb, m.datasetId, c.valSplit) : 0;
      return c.epochs * (Math.ceil(train / c.batch) + Math.ceil(val / c.batch) / 3);
    });
    const total = steps.reduce((a, b) => a + b, 0);
    return { label: costLabel(members[0]!.config), backend: t.backend, secondsPerStep: t.secondsPerStep, members: members.length, stepsPerMember: Math.max(...steps), seconds: total * t.secondsPerStep };
  });
  return { members: ready.length, leftOut, groups: out, totalSeconds: out.reduce((a, g) => a + g.seconds, 0) };
}

/** studies.duplicate: a new study with the same plan and settings, all of its members queued afresh. */
function duplicateStudy(wb: Workbench, args: InvokeParsedArgs<'studies.duplicate'>): StudySummary {
  const s = getStudy(wb.db, args.studyId);
  return createStudy(wb, {
    name: args.name,
    base: s.base,
    axes: s.axes,
    seeds: s.seeds,
    paused: args.paused,
    evaluate: s.evaluate,
    reference: s.reference,
    ensemble: s.ensembleVote,
    leaveOutUnrunnable: s.leftOut.length > 0,
  });
}

/**
 * A member of a transfer preset (the paper's face-pretrained setups) without weights gets the newest imported
 * weights of its architecture; with none imported it cannot reproduce the preset, and says how to fix that.
 */
function withImportedWeights(wb: Workbench, m: PlannedMember): TrainConfig {
  const model = m.config.model;
  if (m.cell[PRESET_AXIS] === undefined || m.config.weights !== null || !(TRANSFER_ARCHITECTURES as readonly string[]).includes(model)) return m.config;
  const newest = listWeights(wb)
    .filter((w) => w.architecture === model)
    .at(-1);
  if (!newest) throw new AppError('NOT_FOUND', `no ${model} weights are imported (the preset fine-tunes face-pretrained weights): \`fer weights import FILE\` first.`);
  return { ...m.config, weights: newest.id };
}

/** Queued members of this process leave the queue now; ones queued elsewhere are left stopped when their turn comes. */
function pauseStudy(wb: Workbench, studyId: number): StudySummary {
  const study = getStudy(wb.db, studyId);
  setStudyStatus(wb.db, studyId, 'paused');
  const queue = queueFor(wb);
  for (const m of study.members) if (m.status === 'queued' && queue.isActive(m.runId)) queue.stop(m.runId);
  return getStudy(wb.db, studyId);
}

/** Every stopped member is queued again (resumed from its last checkpoint when it has one); one that cannot be is marked failed with why. */
function resumeStudy(wb: Workbench, studyId: number): StudySummary {
  const study = getStudy(wb.db, studyId);
  studyEvaluator(wb);
  setStudyStatus(wb.db, studyId, 'active');
  for (const m of study.members) {
    if (m.status !== 'stopped') continue;
    try {
      resumeRun(wb, m.runId);
    } catch (err) {
      const info = toErrorInfo(err);
      if (runSummary(wb, m.runId).status === 'stopped') patchRun(wb, m.runId, { status: 'failed', error: `[${info.code}] ${info.message}`, finished_at: nowIso() });
    }
  }
  return getStudy(wb.db, studyId);
}

/** The study's comparison: its members grouped by its axes, so seeds are the replicates (mean ± std, n). */
function exportStudy(wb: Workbench, args: InvokeParsedArgs<'studies.export'>): { text: string; path: string | null } {
  const study = getStudy(wb.db, args.studyId);
  if (!study.members.length) throw new AppError('INVALID_INPUT', `Study ${study.id} has no members.`);
  const own = study.evaluate;
  const table = compareTable(wb, {
    runIds: study.members.map((m) => m.runId),
    ensembleIds: study.ensembleId === null ? [] : [study.ensembleId],
    groupBy: studyGroupBy(study),
    split: args.split !== undefined ? args.split : (own?.split ?? null),
    tta: args.tta ?? own?.tta ?? 0,
    ttaFlip: args.tta !== undefined ? args.ttaFlip : (args.ttaFlip ?? own?.ttaFlip),
    checkpoint: args.checkpoint ?? own?.checkpoint ?? 'best',
    columns: args.columns ?? (study.reference ? [...COMPARE_METRICS, 'paperAccuracy', 'vsPaper'] : undefined),
  });
  const text = renderTable(table, args.format);
  return { text, path: args.path === undefined ? null : writeFileAtomic(args.path, text) };
}

export const studiesHandlers: HandlersFor<typeof studiesInvoke> = {
  'studies.create': (args, wb) => createStudy(wb, args),
  'studies.list': (_args, wb) => {
    queueFor(wb); // as studies.get: a list read first in a process must not show a dead process's members as running
    studyEvaluator(wb);
    return studyIds(wb.db).map((id) => getStudy(wb.db, id));
  },
  'studies.get': (args, wb) => {
    queueFor(wb); // first use in a process: fail members a dead process left behind
    studyEvaluator(wb); // and evaluate completed members that have no evaluation of the study's setting yet
    return getStudy(wb.db, args.studyId);
  },
  'studies.pause': (args, wb) => pauseStudy(wb, args.studyId),
  'studies.resume': (args, wb) => resumeStudy(wb, args.studyId),
  'studies.export': (args, wb) => exportStudy(wb, args),
  'studies.extend': (args, wb) => extendStudy(wb, args),
  'studies.estimate': (args, wb) => estimateStudy(wb, args),
  'studies.ensemble': (args, wb) => {
    ensembleBestMembers(wb, args.studyId, args);
    return getStudy(wb.db, args.studyId);
  },
  'studies.duplicate': (args, wb) => duplicateStudy(wb, args),
};
