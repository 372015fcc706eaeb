import type { RunSummary } from '../../src-shared/contract/runs';
import type { StudyEvaluate } from '../../src-shared/contract/studies';
import { toErrorInfo } from '../../src-shared/errors';
import type { Workbench } from '../context';
import { cancelledError } from '../evaluation/cancel';
import { evaluateRun } from '../evaluation/run-eval';
import { settingOf } from '../evaluation/selection';
import { latestMatching } from '../store/evaluations';
import { completedEvaluatingMembers, evaluatingStudyOf, setMemberEvalError, studyOfRun } from '../store/studies';
import { getStudy } from './summary';
import { ensembleBestMembers, ensembleDue } from './ensemble';

/**
 * Evaluates each member of a study that asks for it (studies.evaluate) as soon as the member completes, with the
 * study's setting, one evaluation at a time (they share the cores with the next member's training). It listens to
 * the run.status events of the process whose queue trains the members; on start it also catches up on completed
 * members without an evaluation of the setting (members that finished while no process was watching). A failed
 * evaluation is kept on the member (evalError) and the others go on. Closing the workbench cancels the one in
 * flight, which then stores nothing.
 */
class StudyEvaluator {
  private chain: Promise<void> = Promise.resolve();
  private readonly pending = new Set<number>();
  private readonly closing = new AbortController();

  constructor(private readonly wb: Workbench) {
    const unsubscribe = wb.events.subscribe((name, payload) => {
      if (name !== 'run.status') return;
      const run = payload as RunSummary;
      if (run.status === 'completed') this.schedule(run.id);
      // A member that failed may have been the last one a planned ensemble waited for.
      else if (run.status === 'failed') this.ensembleIfDue(run.id);
    });
    wb.onClose(async () => {
      unsubscribe();
      this.closing.abort(cancelledError());
      await this.chain;
    });
  }

  catchUp(): void {
    for (const runId of completedEvaluatingMembers(this.wb.db)) this.schedule(runId);
  }

  /** Resolves once every evaluation scheduled so far has ended (tests, and the CLI before it exits). */
  idle(): Promise<void> {
    return this.chain;
  }

  private schedule(runId: number): void {
    if (this.pending.has(runId) || this.closing.signal.aborted) return;
    const plan = evaluatingStudyOf(this.wb.db, runId);
    if (!plan || latestMatching(this.wb.db, runId, settingOf(plan.evaluate))) return;
    this.pending.add(runId);
    this.chain = this.chain.then(() => this.evaluate(runId, plan.evaluate)).finally(() => this.pending.delete(runId));
  }

  private async evaluate(runId: number, evaluate: StudyEvaluate): Promise<void> {
    if (this.closing.signal.aborted) return;
    try {
      await evaluateRun(this.wb, { runId, split: evaluate.split, checkpoint: evaluate.checkpoint, tta: evaluate.tta, ttaFlip: evaluate.ttaFlip, ttaSeed: 0 }, this.closing.signal);
      setMemberEvalError(this.wb.db, runId, null);
    } catch (err) {
      if (this.closing.signal.aborted) return;
      const info = toErrorInfo(err);
      setMemberEvalError(this.wb.db, runId, `[${info.code}] ${info.message}`);
    }
    this.ensembleIfDue(runId);
  }

  /** The study's planned ensemble, once this was the last member it waited for; a failure is logged, not thrown (the members stand). */
  private ensembleIfDue(runId: number): void {
    const studyId = studyOfRun(this.wb.db, runId);
    if (studyId === null || !ensembleDue(getStudy(this.wb.db, studyId))) return;
    try {
      ensembleBestMembers(this.wb, studyId);
    } catch (err) {
      console.error(`study ${studyId}: its planned ensemble could not be made: ${toErrorInfo(err).message}`);
    }
  }
}

const EVALUATORS = new WeakMap<Workbench, StudyEvaluator>();

/** The workbench's study evaluator, started (and caught up) on first use. */
export function studyEvaluator(wb: Workbench): StudyEvaluator {
  let e = EVALUATORS.get(wb);
  if (!e) {
    e = new StudyEvaluator(wb);
    EVALUATORS.set(wb, e);
    e.catchUp();
  }
  return e;
}
