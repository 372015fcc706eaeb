import type { SampleMeta } from '../../src-shared/contract';
import type { Split } from '../../src-shared/labels';
import { api } from '../lib/contract-client';
import { errorText } from '../lib/errors';
import { decodeBase64, facesToStrip } from '../lib/pixels';

export const PAGE_SIZE = 240;
/** Pages kept in memory; at 240 faces a page this is ~17k faces, far more than any screen shows. */
const MAX_PAGES = 72;

interface Page {
  items: SampleMeta[];
  strip: HTMLCanvasElement;
}

/**
 * The thumbnail grid's data: pages of faces fetched on demand by offset under the current filter, cached
 * (LRU), each decoded once into a strip canvas. `version` bumps when a page lands so the grid redraws.
 */
export class SampleGridStore {
  datasetId = $state<number | null>(null);
  split = $state<Split | null>(null);
  label = $state<number | null>(null);
  total = $state<number | null>(null);
  error = $state<string | null>(null);
  version = $state(0);
  private pages = new Map<number, Page>();
  private inflight = new Map<number, Promise<void>>();
  private generation = 0;

  setFilter(datasetId: number | null, split: Split | null, label: number | null): void {
    if (datasetId === this.datasetId && split === this.split && label === this.label) return;
    this.datasetId = datasetId;
    this.split = split;
    this.label = label;
    this.total = null;
    this.error = null;
    this.pages.clear();
    this.inflight.clear();
    this.generation++;
    this.version++;
    if (datasetId !== null) void this.ensure(0);
  }

  /** The face at a global index under the filter, or null while its page is loading. */
  face(index: number): { meta: SampleMeta; strip: HTMLCanvasElement; slot: number } | null {
    const page = this.pages.get(Math.floor(index / PAGE_SIZE));
    if (!page) return null;
    const slot = index % PAGE_SIZE;
    const meta = page.items[slot];
    if (!meta) return null;
    // Touch for LRU: Map keeps insertion order, so re-inserting marks it recent.
    return { meta, strip: page.strip, slot };
  }

  /** Makes sure the pages covering [from, to) are loaded or loading. */
  want(from: number, to: number): void {
    const last = this.total === null ? Math.floor(from / PAGE_SIZE) : Math.min(Math.floor((to - 1) / PAGE_SIZE), Math.floor((this.total - 1) / PAGE_SIZE));
    for (let p = Math.max(0, Math.floor(from / PAGE_SIZE)); p <= last; p++) {
      const page = this.pages.get(p);
      if (page) {
        this.pages.delete(p);
        this.pages.set(p, page);
      } else {
        void this.ensure(p);
      }
    }
  }

  private ensure(pageNo: number): Promise<void> {
    const existing = this.inflight.get(pageNo);
    if (existing) return existing;
    const gen = this.generation;
    const datasetId = this.datasetId;
    if (datasetId === null) return Promise.resolve();
    const task = (async () => {
      try {
        const res = await api.invoke('datasets.samples', {
          dataset: datasetId,
          split: this.split ?? undefined,
          label: this.label ?? undefined,
          offset: pageNo * PAGE_SIZE,
          limit: PAGE_SIZE,
        });
        if (gen !== this.generation) return;
        const pixels = decodeBase64(res.pixelsBase64);
        this.pages.set(pageNo, { items: res.items, strip: facesToStrip(pixels, res.items.length) });
        while (this.pages.size > MAX_PAGES) {
          const oldest = this.pages.keys().next().value;
          if (oldest === undefined) break;
          this.pages.delete(oldest);
        }
        this.total = res.total;
        this.version++;
      } catch (err) {
        if (gen === this.generation) this.error = errorText(err);
      } finally {
        if (gen === this.generation) this.inflight.delete(pageNo);
      }
    })();
    this.inflight.set(pageNo, task);
    return task;
  }
}
