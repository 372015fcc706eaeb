import type { CompareTable, EnsembleSummary, EvaluationSummary, InvokeArgs } from '../../src-shared/contract';
import type { Split } from '../../src-shared/labels';
import { api, ContractError } from '../lib/contract-client';
import { errorText } from '../lib/errors';

export type ExportFormat = 'csv' | 'md' | 'latex';

/** The Compare view: a selection of runs and ensembles, grouped, tabulated, exported, or turned into an ensemble. */
export class CompareStore {
  runIds = $state<number[]>([]);
  ensembleIds = $state<number[]>([]);
  groupBy = $state<string>('');
  split = $state<Split | ''>('');
  table = $state<CompareTable | null>(null);
  tableError = $state<string | null>(null);
  /** Runs the service could not tabulate because they have no evaluation yet: the view links to evaluating them. */
  unevaluated = $state<number[]>([]);
  loading = $state(false);
  format = $state<ExportFormat>('md');
  exportPath = $state('');
  exportText = $state<string | null>(null);
  exportSaved = $state<string | null>(null);
  exportError = $state<string | null>(null);
  ensembleName = $state('');
  ensembleVote = $state<'soft' | 'hard'>('soft');
  ensembleError = $state<string | null>(null);
  ensembleMade = $state<EnsembleSummary | null>(null);
  count = $derived(this.runIds.length + this.ensembleIds.length);

  private args(): InvokeArgs<'compare.table'> {
    return {
      runIds: [...this.runIds],
      ensembleIds: [...this.ensembleIds],
      groupBy: this.groupBy === '' ? null : this.groupBy,
      split: this.split === '' ? null : this.split,
    };
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
    this.unevaluated = [];
    try {
      this.table = await api.invoke('compare.table', this.args());
    } catch (err) {
      this.tableError = errorText(err);
      const details = err instanceof ContractError ? (err.details as { runIds?: unknown } | undefined) : undefined;
      if (Array.isArray(details?.runIds)) this.unevaluated = details.runIds.filter((x): x is number => typeof x === 'number');
      this.table = null;
    } finally {
      this.loading = false;
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

  /** Ensembles combine evaluations: each selected run contributes its newest evaluation on the chosen split. */
  async buildEnsemble(evaluations: EvaluationSummary[]): Promise<void> {
    this.ensembleError = null;
    this.ensembleMade = null;
    const picked: number[] = [];
    const missing: number[] = [];
    for (const runId of this.runIds) {
      const evs = evaluations
        .filter((e) => e.runId === runId && (this.split === '' || e.split === this.split))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      if (evs[0]) picked.push(evs[0].id);
      else missing.push(runId);
    }
    if (missing.length > 0) {
      this.ensembleError = `Run${missing.length > 1 ? 's' : ''} ${missing.map((m) => `#${m}`).join(', ')} ${missing.length > 1 ? 'have' : 'has'} no evaluation${this.split ? ` on ${this.split}` : ''} yet: evaluate ${missing.length > 1 ? 'them' : 'it'} in Evaluation first.`;
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
}

export const compareStore = new CompareStore();
