import { revisionNameSchema, type RevisionChange, type RevisionChangeInput, type RevisionDiff, type RevisionSummary } from '../../src-shared/contract';
import { api } from '../lib/contract-client';
import { errorText } from '../lib/errors';
import { decodeBase64 } from '../lib/pixels';

/**
 * One dataset's revisions and the one being written into: used by the Data view's revisions panel and face dialog,
 * and by the label-issues panel (its buttons write changes into the chosen revision). Every change goes through
 * the contract and the diff is re-read afterwards, so what is shown is what is stored.
 */
export class RevisionsStore {
  datasetId = $state<number | null>(null);
  list = $state<RevisionSummary[]>([]);
  selectedId = $state<number | null>(null);
  diff = $state<RevisionDiff | null>(null);
  /** The changed faces' pixels (one datasets.samples call per diff) and each face's slot in them. */
  pixels = $state<Uint8Array>(new Uint8Array(0));
  slots = $state<Map<number, number>>(new Map());
  error = $state<string | null>(null);
  busy = $state(false);
  selected = $derived(this.list.find((r) => r.id === this.selectedId) ?? null);
  /** sample id → its change in the selected revision. */
  changes = $derived(new Map<number, RevisionChange>((this.diff?.changes ?? []).map((c) => [c.sampleId, c])));
  /** Runs trained on it: the service refuses changes, so the buttons say why instead of failing. */
  frozen = $derived((this.selected?.usedByRuns.length ?? 0) > 0);

  /** The name a new revision would be refused for, by the contract's own rule; null when it is fine. */
  nameError(name: string): string | null {
    if (name.trim() === '') return 'Give the revision a name.';
    if (this.list.some((r) => r.name === name.trim())) return `This dataset already has a revision named "${name.trim()}".`;
    return revisionNameSchema.safeParse(name).error?.issues[0]?.message ?? null;
  }

  async load(datasetId: number): Promise<void> {
    if (this.datasetId !== datasetId) {
      this.datasetId = datasetId;
      this.selectedId = null;
      this.diff = null;
    }
    await this.run(async () => {
      const list = await api.invoke('revisions.list', { dataset: datasetId });
      if (this.datasetId !== datasetId) return;
      this.list = list;
      if (this.selectedId !== null && !list.some((r) => r.id === this.selectedId)) this.selectedId = null;
      if (this.selectedId === null && list.length) this.selectedId = list[list.length - 1]!.id;
      await this.refreshDiff();
    });
  }

  async select(id: number | null): Promise<void> {
    this.selectedId = id;
    await this.run(() => this.refreshDiff());
  }

  /** `from`: start with a copy of that revision's changes (how a frozen one is carried on). */
  async create(name: string, from: number | null = null): Promise<boolean> {
    const datasetId = this.datasetId;
    if (datasetId === null) return false;
    return this.run(async () => {
      const r = await api.invoke('revisions.create', { dataset: datasetId, name: name.trim(), ...(from === null ? {} : { from }) });
      this.list = [...this.list, r];
      this.selectedId = r.id;
      await this.refreshDiff();
    });
  }

  async add(change: RevisionChangeInput): Promise<boolean> {
    const id = this.selectedId;
    if (id === null) return false;
    return this.run(async () => {
      this.replace(await api.invoke('revisions.addChanges', { revision: id, changes: [change] }));
      await this.refreshDiff();
    });
  }

  async undo(sampleId: number): Promise<boolean> {
    const id = this.selectedId;
    if (id === null) return false;
    return this.run(async () => {
      this.replace(await api.invoke('revisions.removeChanges', { revision: id, sampleIds: [sampleId] }));
      await this.refreshDiff();
    });
  }

  async remove(): Promise<boolean> {
    const id = this.selectedId;
    if (id === null) return false;
    return this.run(async () => {
      await api.invoke('revisions.delete', { revision: id });
      this.list = this.list.filter((r) => r.id !== id);
      this.selectedId = this.list.at(-1)?.id ?? null;
      await this.refreshDiff();
    });
  }

  private replace(r: RevisionSummary): void {
    this.list = this.list.map((x) => (x.id === r.id ? r : x));
  }

  private async refreshDiff(): Promise<void> {
    const id = this.selectedId;
    if (id === null || this.datasetId === null) {
      this.diff = null;
      return;
    }
    const diff = await api.invoke('revisions.diff', { revision: id });
    const ids = diff.changes.slice(0, 1000).map((c) => c.sampleId);
    const page = ids.length ? await api.invoke('datasets.samples', { dataset: this.datasetId, ids, limit: 1000 }) : null;
    if (this.selectedId !== id) return;
    this.diff = diff;
    this.pixels = page ? decodeBase64(page.pixelsBase64) : new Uint8Array(0);
    this.slots = new Map((page?.items ?? []).map((it, i) => [it.id, i]));
  }

  /** Runs an action, keeping its error for the panel; true when it succeeded. */
  private async run(fn: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await fn();
      return true;
    } catch (err) {
      this.error = errorText(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
