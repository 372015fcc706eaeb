import type { CalibrationReport, CellPage, EvaluationDetail, EvaluationSummary, RunDiff, SaliencyMapSet } from '../../src-shared/contract';
import type { DedupLevel } from '../../src-shared/dedup';
import type { Split } from '../../src-shared/labels';
import { PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { api } from '../lib/contract-client';
import { decodeBase64 } from '../lib/pixels';
import { errorText } from '../lib/errors';

export const CELL_PAGE = 24;

/** Run an evaluation, then look at it: confusion matrix (per epoch too), metrics, calibration, diffs. */
export class EvaluationStore {
  evaluations = $state<EvaluationSummary[]>([]);
  loaded = $state(false);
  listError = $state<string | null>(null);

  // Launching an evaluation.
  running = $state(false);
  runError = $state<string | null>(null);
  progress = $state<{ done: number; total: number; phase: string } | null>(null);
  private runningFor: number | null = null;

  // The selected evaluation.
  selectedId = $state<number | null>(null);
  detail = $state<EvaluationDetail | null>(null);
  detailError = $state<string | null>(null);
  /** Which faces the matrix, per-class table and cell review count: all, or without copies of Training faces. */
  dedup = $state<DedupLevel>('none');
  epochConfusions = $state<{ epoch: number; split: Split; confusion: number[][] }[]>([]);
  epochError = $state<string | null>(null);
  /**
   * The matrices the scrubber walks: one split's, one per epoch. Training records the validation split every
   * epoch (and the test split only at the best one), so the split with the most epochs is the one to scrub.
   */
  scrubList = $derived.by(() => {
    const bySplit = new Map<Split, { epoch: number; split: Split; confusion: number[][] }[]>();
    for (const e of this.epochConfusions) bySplit.set(e.split, [...(bySplit.get(e.split) ?? []), e]);
    let best: { epoch: number; split: Split; confusion: number[][] }[] = [];
    for (const list of bySplit.values()) if (list.length > best.length) best = list;
    return best;
  });
  /** Index into scrubList, or -1 for the evaluation's own matrix (the drillable one). */
  scrub = $state(-1);
  normalise = $state(false);

  calibration = $state<CalibrationReport | null>(null);
  calibrationError = $state<string | null>(null);
  diffOther = $state<number | null>(null);
  diff = $state<RunDiff | null>(null);
  diffError = $state<string | null>(null);

  constructor() {
    if (typeof window === 'undefined') return;
    api.on('eval.progress', (p) => {
      if (this.running && (p.runId === null || p.runId === this.runningFor)) this.progress = { done: p.done, total: p.total, phase: p.phase };
    });
  }

  async load(): Promise<void> {
    try {
      this.evaluations = await api.invoke('eval.list', {});
      this.listError = null;
    } catch (err) {
      this.listError = errorText(err);
    } finally {
      this.loaded = true;
    }
  }

  async evaluate(runId: number, split: Split, views: { tta: number; ttaFlip: boolean }, checkpoint: 'best' | 'last'): Promise<EvaluationSummary | null> {
    this.running = true;
    this.runningFor = runId;
    this.runError = null;
    this.progress = null;
    try {
      const ev = await api.invoke('eval.run', { runId, split, tta: views.tta, ttaFlip: views.ttaFlip, checkpoint });
      this.evaluations = [ev, ...this.evaluations.filter((e) => e.id !== ev.id)];
      return ev;
    } catch (err) {
      this.runError = errorText(err);
      return null;
    } finally {
      this.running = false;
      this.runningFor = null;
    }
  }

  /** Stops the running evaluation: the service kills its worker before anything is stored. */
  async cancel(): Promise<void> {
    if (!this.running || this.runningFor === null) return;
    try {
      await api.invoke('eval.cancel', { runId: this.runningFor });
    } catch (err) {
      this.runError = errorText(err);
    }
  }

  async select(id: number): Promise<void> {
    if (this.selectedId === id && this.detail) return;
    this.selectedId = id;
    this.detail = null;
    this.detailError = null;
    this.epochConfusions = [];
    this.epochError = null;
    this.scrub = -1;
    this.calibration = null;
    this.calibrationError = null;
    this.diff = null;
    this.diffError = null;
    try {
      // A Training evaluation has no de-duplicated view: show all its faces.
      const summary = this.evaluations.find((e) => e.id === id);
      if (summary && !summary.dedup) this.dedup = 'none';
      const detail = await api.invoke('eval.get', { evaluationId: id, dedup: this.dedup });
      if (this.selectedId !== id) return;
      this.detail = detail;
      if (!this.evaluations.some((e) => e.id === id)) this.evaluations = [detail.evaluation, ...this.evaluations];
      const runId = detail.evaluation.runId;
      if (runId !== null) {
        try {
          const ec = await api.invoke('eval.epochConfusions', { runId });
          if (this.selectedId === id) this.epochConfusions = ec.sort((a, b) => a.epoch - b.epoch);
        } catch (err) {
          if (this.selectedId === id) this.epochError = errorText(err);
        }
      }
    } catch (err) {
      if (this.selectedId === id) this.detailError = errorText(err);
    }
  }

  /** Switches the selected evaluation's matrix and per-class table between all faces and a de-duplicated split. */
  async setDedup(level: DedupLevel): Promise<void> {
    this.dedup = level;
    const id = this.selectedId;
    if (id === null) return;
    this.detailError = null;
    try {
      const detail = await api.invoke('eval.get', { evaluationId: id, dedup: level });
      if (this.selectedId === id && this.dedup === level) this.detail = detail;
    } catch (err) {
      if (this.selectedId === id) this.detailError = errorText(err);
    }
  }

  async loadCalibration(): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    this.calibrationError = null;
    try {
      const c = await api.invoke('eval.calibration', { evaluationId: id, bins: 10 });
      if (this.selectedId === id) this.calibration = c;
    } catch (err) {
      if (this.selectedId === id) this.calibrationError = errorText(err);
    }
  }

  async loadDiff(other: number): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    this.diffOther = other;
    this.diff = null;
    this.diffError = null;
    try {
      const d = await api.invoke('eval.diff', { a: other, b: id });
      if (this.selectedId === id && this.diffOther === other) this.diff = d;
    } catch (err) {
      if (this.selectedId === id) this.diffError = errorText(err);
    }
  }
}

export const evaluationStore = new EvaluationStore();

/** The misclassification review of one confusion cell: faces by confidence, paged, optionally vs another evaluation. */
export class CellReviewStore {
  page = $state<CellPage | null>(null);
  offset = $state(0);
  error = $state<string | null>(null);
  loading = $state(false);
  otherId = $state<number | null>(null);
  otherProbs = $state<Record<number, { predLabel: number; probs: number[] }>>({});
  otherError = $state<string | null>(null);
  /** 'disagree': only faces whose FER+ crowd majority differs from their FER2013 label. */
  crowd = $state<'all' | 'disagree'>('all');
  /** The saliency overlay drawn on the faces ('none': plain faces) and the class it explains. */
  overlay = $state<'none' | 'gradcam' | 'hirescam' | 'gradient'>('none');
  overlayTarget = $state<'pred' | 'true'>('pred');
  /** sampleId → the chosen map of that face (48×48 bytes). */
  maps = $state<Record<number, Uint8Array>>({});
  /** An ensemble's evaluation: each member's maps (sampleId → map) and probability of the explained class, drawn side by side. */
  memberMaps = $state<{ name: string; weight: number; maps: Record<number, Uint8Array>; probs: Record<number, number> }[]>([]);
  mapsLoading = $state(false);
  mapsError = $state<string | null>(null);

  readonly evaluationId: number;
  readonly trueLabel: number;
  readonly predLabel: number;
  readonly dedup: DedupLevel;

  constructor(evaluationId: number, trueLabel: number, predLabel: number, dedup: DedupLevel = 'none') {
    this.evaluationId = evaluationId;
    this.trueLabel = trueLabel;
    this.predLabel = predLabel;
    this.dedup = dedup;
  }

  async load(offset = 0): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const page = await api.invoke('eval.cell', {
        evaluationId: this.evaluationId,
        trueLabel: this.trueLabel,
        predLabel: this.predLabel,
        dedup: this.dedup,
        crowd: this.crowd,
        offset,
        limit: CELL_PAGE,
      });
      // Sorted by confidence, most confident first: the service pages in that order, and we keep it within a page.
      this.page = page;
      this.offset = offset;
      if (this.otherId !== null) await this.compareWith(this.otherId);
      if (this.overlay !== 'none') await this.loadMaps();
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }

  async setOverlay(overlay: 'none' | 'gradcam' | 'hirescam' | 'gradient', target: 'pred' | 'true' = this.overlayTarget): Promise<void> {
    this.overlay = overlay;
    this.overlayTarget = target;
    await this.loadMaps();
  }

  /** The chosen maps of the faces on this page: computed in the evaluation process on first sight, then cached there. */
  async loadMaps(): Promise<void> {
    this.maps = {};
    this.memberMaps = [];
    this.mapsError = null;
    const overlay = this.overlay;
    const target = this.overlayTarget;
    if (overlay === 'none' || !this.page || this.page.items.length === 0) return;
    this.mapsLoading = true;
    try {
      const res = await api.invoke('eval.saliency', { evaluationId: this.evaluationId, sampleIds: this.page.items.map((i) => i.sampleId), target });
      if (this.overlay !== overlay || this.overlayTarget !== target) return;
      const perFace = (set: SaliencyMapSet): Record<number, Uint8Array> => {
        const bytes = decodeBase64(overlay === 'gradcam' ? set.gradcamBase64 : overlay === 'hirescam' ? set.hirescamBase64 : set.gradientBase64);
        const maps: Record<number, Uint8Array> = {};
        res.items.forEach((it, i) => (maps[it.sampleId] = bytes.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE)));
        return maps;
      };
      if (res.kind === 'model') this.maps = perFace(res);
      else {
        this.memberMaps = res.members.map((m) => ({
          name: m.name,
          weight: m.weight,
          maps: perFace(m),
          probs: Object.fromEntries(res.items.map((it, i) => [it.sampleId, m.probs[i]!])),
        }));
      }
    } catch (err) {
      this.mapsError = errorText(err);
    } finally {
      this.mapsLoading = false;
    }
  }

  async setCrowd(crowd: 'all' | 'disagree'): Promise<void> {
    this.crowd = crowd;
    await this.load(0);
  }

  async compareWith(otherId: number | null): Promise<void> {
    this.otherId = otherId;
    this.otherProbs = {};
    this.otherError = null;
    if (otherId === null || !this.page || this.page.items.length === 0) return;
    try {
      const rows = await api.invoke('eval.sampleProbs', { evaluationId: otherId, sampleIds: this.page.items.map((i) => i.sampleId) });
      if (this.otherId !== otherId) return;
      const map: Record<number, { predLabel: number; probs: number[] }> = {};
      for (const r of rows) map[r.sampleId] = { predLabel: r.predLabel, probs: r.probs };
      this.otherProbs = map;
    } catch (err) {
      this.otherError = errorText(err);
    }
  }
}
