import type { InvokeParsedArgs } from '../../src-shared/contract';
import { studiesInvoke, type StudySummary } from '../../src-shared/contract/studies';
import { AppError, toErrorInfo } from '../../src-shared/errors';
import { renderTable } from '../analysis/export';
import type { Workbench } from '../context';
import { compareTable } from '../evaluation/compare-table';
import { writeFileAtomic } from '../evaluation/write-file';
import { describeCell, planStudy } from '../studies/plan';
import { getStudy, insertStudy, linkMember, setStudyStatus, studyIds } from '../studies/store';
import { queueFor } from '../trainer/queue';
import { insertRun, nowIso, patchRun, runSummary } from '../trainer/store';
import { resumeRun, validateConfig } from './runs';
import { appVersion } from './system';
import type { HandlersFor } from './types';

/**
 * studies.create: plans base × axes × seeds, checks every member's config as runs.create would (dataset,
 * model limits, batch vs samples), then stores the study, its runs and the links in one transaction, so a bad
 * cell leaves nothing behind. The members are ordinary runs, queued here unless the study starts paused.
 */
function createStudy(wb: Workbench, args: InvokeParsedArgs<'studies.create'>): StudySummary {
  const planned = planStudy(args.base, args.axes, args.seeds).map((m) => {
    try {
      return { ...m, ...validateConfig(wb, m.config) };
    } catch (err) {
      const info = toErrorInfo(err);
      throw new AppError(info.code, `The member ${describeCell(m.cell)} (seed ${m.seed}): ${info.message}`);
    }
  });
  const name = args.name;
  const { studyId, runIds } = wb.db.transaction(() => {
    const id = insertStudy(wb.db, { name, base: args.base, axes: args.axes, seeds: args.seeds, status: args.paused ? 'paused' : 'active' });
    const ids = planned.map((m) => {
      const runId = insertRun(wb, { name: `${name} · ${describeCell(m.cell)} · seed ${m.seed}`, datasetId: m.datasetId, config: m.config, groupId: null, codeVersion: appVersion() });
      linkMember(wb.db, id, runId, m.cell);
      if (args.paused) patchRun(wb, runId, { status: 'stopped', finished_at: nowIso() });
      return runId;
    });
    return { studyId: id, runIds: ids };
  })();
  if (!args.paused) {
    const queue = queueFor(wb);
    for (const id of runIds) queue.enqueue(id, false);
  }
  return getStudy(wb.db, studyId);
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
  const table = compareTable(wb, {
    runIds: study.members.map((m) => m.runId),
    ensembleIds: [],
    groupBy: study.axes.length ? study.axes.map((a) => a.field).join(',') : null,
    split: args.split,
    tta: args.tta,
    ttaFlip: args.ttaFlip,
    checkpoint: args.checkpoint,
    columns: args.columns,
  });
  const text = renderTable(table, args.format);
  return { text, path: args.path === undefined ? null : writeFileAtomic(args.path, text) };
}

export const studiesHandlers: HandlersFor<typeof studiesInvoke> = {
  'studies.create': (args, wb) => createStudy(wb, args),
  'studies.list': (_args, wb) => {
    queueFor(wb); // as studies.get: a list read first in a process must not show a dead process's members as running
    return studyIds(wb.db).map((id) => getStudy(wb.db, id));
  },
  'studies.get': (args, wb) => {
    queueFor(wb); // first use in a process: fail members a dead process left behind
    return getStudy(wb.db, args.studyId);
  },
  'studies.pause': (args, wb) => pauseStudy(wb, args.studyId),
  'studies.resume': (args, wb) => resumeStudy(wb, args.studyId),
  'studies.export': (args, wb) => exportStudy(wb, args),
};
