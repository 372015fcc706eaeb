import { withMirror, type CompareTable, type EnsembleSummary, type EvaluationSummary, type InvokeArgs } from '../../src-shared/contract';
import type { Split } from '../../src-shared/labels';
import { api } from '../lib/contract-client';
import { selectionCurves } from '../lib/curves';
import { errorText } from '../lib/errors';

export type ExportFormat = 'csv' | 'md' | 'latex';

/** The Compare view: a selection of runs and ensembles, grouped, tabulated, exported, or turned into an ensemble. */
export class CompareStore {
  runIds = $state<number[]>([]);
  ensembleIds = $state<number[]>([]);
  groupBy = $state<string>('');
  split = $state<Split | ''>('');
  /** The evaluation setting every row must share: K augmented TTA views, the mirror, the checkpoint. */
  tta = $state(0);
  /** The mirror as ticked; null follows the contract's default, on with augmented views (tta > 0). */
  ttaFlip = $state<boolean | null>(null);
  checkpoint = $state<'best' | 'last'>('best');
  /** The table's columns; null: the comparison's defaults. */
  columns = $state<string[] | null>(null);
  table = $state<CompareTable | null>(null);
  tableError = $state<string | null>(null);
  loading = $state(false);
  /** "Evaluate the missing ones": running, its progress, and what it did. */
  evaluatingMissing = $state(false);
  missingProgress = $state<{ runId: number | null; done: number; total: number } | null>(null);
  missingNote = $state<string | null>(null);
  missingError = $state<string | null>(null);
  format = $state<ExportFormat>('md');
  exportPath = $state('');
  exportText = $state<string | null>(null);
  exportSaved = $state<string | null>(null);
  exportError = $state<string | null>(null);
  ensembleName = $state('');
  ensembleVote = $state<'soft' | 'hard'>('soft');
  ensembleError = $state<string | null>(null);
  ensembleMade = $state<EnsembleSummary | null>(null);
  curvesNote = $state<string | null>(null);
  curvesError = $state<string | null>(null);
  count = $derived(this.runIds.length + this.ensembleIds.length);

  /** Whether the setting includes the mirrored view: alone (tta 0) it is flip TTA, 2 views. */
  get mirror(): boolean {
    return withMirror(this.tta, this.ttaFlip);
  }

  private args(): InvokeArgs<'compare.table'> {
    return {
      runIds: [...this.runIds],
      ensembleIds: [...this.ensembleIds],
      groupBy: this.groupBy === '' ? null : this.groupBy,
      split: this.split === '' ? null : this.split,
      tta: this.tta,
      ttaFlip: this.mirror,
      checkpoint: this.checkpoint,
      ...(this.columns ? { columns: [...this.columns] } : {}),
    };
  }

  constructor() {
    if (typeof window === 'undefined') return;
    api.on('eval.progress', (p) => {
      if (this.evaluatingMissing && p.phase === 'predicting') this.missingProgress = { runId: p.runId, done: p.done, total: p.total };
    });
  }

  toggleRun(id: number): void {
    this.runIds = this.runIds.includes(id) ? this.runIds.filter((x) => x !== id) : [...this.runIds, id];
  }
  toggleEnsemble(id: number): void {
    this.ensembleIds = this.ensembleIds.includes(id) ? this.ensembleIds.filter((x) => x !== id) : [...this.ensembleIds, id];
  }

  async refresh(): Promise<void> {
    // An export preview describes the old table: drop it rather than show something stale.
    this.exportText = null;
    this.exportSaved = null;
    if (this.count === 0) {
      this.table = null;
      return;
    }
    this.loading = true;
    this.tableError = null;
    try {
      this.table = await api.invoke('compare.table', this.args());
    } catch (err) {
      this.tableError = errorText(err);
      this.table = null;
    } finally {
      this.loading = false;
    }
  }

  /** Evaluates, through the evaluation service, the selected runs that lack the table's setting; then re-tabulates. */
  async evaluateMissing(): Promise<void> {
    this.missingError = null;
    this.missingNote = null;
    if (this.split === '') {
      this.missingError = 'Choose an evaluation split first: the missing runs are evaluated on it.';
      return;
    }
    this.evaluatingMissing = true;
    this.missingProgress = null;
    try {
      const res = await api.invoke('compare.evaluateMissing', this.args());
      const parts = [`${res.evaluated.length} evaluated`];
      if (res.failed.length) parts.push(`${res.failed.length} failed (${res.failed.map((f) => `#${f.runId}: ${f.message}`).join('; ')})`);
      if (res.cancelled) parts.push('cancelled: the rest are still missing');
      this.missingNote = `${parts.join(', ')}.`;
    } catch (err) {
      this.missingError = errorText(err);
    } finally {
      this.evaluatingMissing = false;
      this.missingProgress = null;
    }
    await this.refresh();
  }

  async cancelMissing(): Promise<void> {
    try {
      await api.invoke('eval.cancel', {});
    } catch (err) {
      this.missingError = errorText(err);
    }
  }

  /** Saves on the server when a path is given (the CLI and Electron's way); otherwise returns text to copy/download. */
  async export(): Promise<{ text: string; path: string | null } | null> {
    this.exportError = null;
    this.exportSaved = null;
    try {
      const path = this.exportPath.trim();
      const res = await api.invoke('compare.export', { ...this.args(), format: this.format, path: path === '' ? undefined : path });
      this.exportText = res.text;
      this.exportSaved = res.path;
      return res;
    } catch (err) {
      this.exportError = errorText(err);
      return null;
    }
  }

  /** The selected runs' training curves as one SVG (`fer curves`' figure), or null with curvesError saying why. */
  async curves(): Promise<string | null> {
    this.curvesNote = null;
    this.curvesError = null;
    try {
      const details = await Promise.all(this.runIds.map((runId) => api.invoke('runs.get', { runId })));
      const { svg, leftOut } = selectionCurves(details);
      if (leftOut.length) this.curvesNote = `Left out, no stored epochs: ${leftOut.join(', ')}.`;
      return svg;
    } catch (err) {
      this.curvesError = errorText(err);
      return null;
    }
  }

  /** Ensembles combine evaluations: each selected run contributes its newest evaluation of the table's setting. */
  async buildEnsemble(evaluations: EvaluationSummary[]): Promise<void> {
    this.ensembleError = null;
    this.ensembleMade = null;
    const picked: number[] = [];
    const missing: number[] = [];
    for (const runId of this.runIds) {
      const evs = evaluations
        .filter((e) => e.runId === runId && (this.split === '' || e.split === this.split) && this.matchesSetting(e))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      if (evs[0]) picked.push(evs[0].id);
      else missing.push(runId);
    }
    if (missing.length > 0) {
      this.ensembleError = `Run${missing.length > 1 ? 's' : ''} ${missing.map((m) => `#${m}`).join(', ')} ${missing.length > 1 ? 'have' : 'has'} no evaluation of this setting${this.split ? ` on ${this.split}` : ''} yet: evaluate the missing ones first.`;
      return;
    }
    if (picked.length < 2) {
      this.ensembleError = 'Select at least two evaluated runs to build an ensemble.';
      return;
    }
    try {
      this.ensembleMade = await api.invoke('ensembles.create', {
        evaluationIds: picked,
        vote: this.ensembleVote,
        name: this.ensembleName.trim() || undefined,
      });
    } catch (err) {
      this.ensembleError = errorText(err);
    }
  }

  /** The same test as the service's: K views, the mirror and the checkpoint (the TTA seed is not part of a setting). */
  private matchesSetting(e: EvaluationSummary): boolean {
    const a = this.args();
    return e.checkpoint === a.checkpoint && (e.tta?.views ?? 0) === a.tta && (e.tta?.flip ?? false) === a.ttaFlip;
  }
}

export const compareStore = new CompareStore();
