import type { DatasetStats, DatasetSummary, ImportProgress } from '../../src-shared/contract';
import { api } from '../lib/contract-client';
import { errorText } from '../lib/errors';

/** Datasets: the list, the selected one's stats, and the import in flight with its progress events. */
export class DatasetsStore {
  list = $state<DatasetSummary[]>([]);
  loaded = $state(false);
  listError = $state<string | null>(null);
  selectedId = $state<number | null>(null);
  stats = $state<DatasetStats | null>(null);
  statsError = $state<string | null>(null);
  importing = $state(false);
  importError = $state<string | null>(null);
  progress = $state<ImportProgress | null>(null);
  selected = $derived(this.list.find((d) => d.id === this.selectedId) ?? null);
  private importId: string | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor() {
    if (typeof window === 'undefined') return;
    this.unsubscribe = api.on('import.progress', (p) => {
      if (p.importId === this.importId) this.progress = p;
    });
  }

  async load(): Promise<void> {
    try {
      this.list = await api.invoke('datasets.list', {});
      this.listError = null;
      if (this.selectedId === null || !this.list.some((d) => d.id === this.selectedId)) {
        const first = this.list[0];
        if (first) await this.select(first.id);
      }
    } catch (err) {
      this.listError = errorText(err);
    } finally {
      this.loaded = true;
    }
  }

  async select(id: number): Promise<void> {
    this.selectedId = id;
    this.stats = null;
    this.statsError = null;
    try {
      const stats = await api.invoke('datasets.stats', { dataset: id });
      if (this.selectedId === id) this.stats = stats;
    } catch (err) {
      if (this.selectedId === id) this.statsError = errorText(err);
    }
  }

  async import(path: string, name: string): Promise<DatasetSummary | null> {
    this.importing = true;
    this.importError = null;
    this.importId = `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    this.progress = { importId: this.importId, name, phase: 'reading', done: 0, total: null, rowsPerSec: 0 };
    try {
      const ds = await api.invoke('datasets.import', { path, name, importId: this.importId });
      this.list = [...this.list.filter((d) => d.id !== ds.id), ds];
      await this.select(ds.id);
      return ds;
    } catch (err) {
      this.importError = errorText(err);
      this.progress = null;
      return null;
    } finally {
      this.importing = false;
    }
  }

  dispose(): void {
    this.unsubscribe?.();
  }
}

export const datasetsStore = new DatasetsStore();
