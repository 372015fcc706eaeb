import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * The saliency-map cache: maps are stored per (evaluation, face, target class). An evaluation fixes its run and
 * checkpoint, so a cached map never goes stale.
 */
export interface CachedSaliency {
  sample_id: number;
  layer: string;
  gradcam: Buffer;
  hirescam: Buffer;
  gradient: Buffer;
}

/** The cached maps of these faces, each for its own target class; faces not cached yet are absent. */
export function cachedSaliency(db: ReadableDb, evaluationId: number, targets: ReadonlyMap<number, number>): Map<number, CachedSaliency> {
  const read = db.prepare('SELECT sample_id, layer, gradcam, hirescam, gradient FROM saliency_maps WHERE evaluation_id = ? AND sample_id = ? AND target_label = ?');
  const cached = new Map<number, CachedSaliency>();
  for (const [id, target] of targets) {
    const r = read.get(evaluationId, id, target) as CachedSaliency | undefined;
    if (r) cached.set(id, r);
  }
  return cached;
}

/** Stores the maps (replacing any for the same face and target) in one transaction. */
export function storeSaliency(db: Db, evaluationId: number, rows: readonly (CachedSaliency & { target_label: number })[]): void {
  const ins = db.prepare('INSERT OR REPLACE INTO saliency_maps (evaluation_id, sample_id, target_label, layer, gradcam, hirescam, gradient) VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const r of rows) ins.run(evaluationId, r.sample_id, r.target_label, r.layer, r.gradcam, r.hirescam, r.gradient);
  })();
}
