import type * as tf from '@tensorflow/tfjs';
import { isFlipOnly, mirrorPixels } from './augment';
import type { LabelledPixels } from './evaluate';
import { CachedFeatures, featureShapesOf, type CachePlan } from './feature-cache';
import { FeatureStore, featureKey, featureStoreEnabled } from './feature-store';
import type { TrainOptions } from './train';

/** The head of a frozen-base model and the base's features for train and validation, computed once. */
export interface FeatureCache {
  head: tf.LayersModel;
  train: CachedFeatures;
  /** The training faces mirrored (flip-only augmentation), row for row with `train`. */
  trainMirrored: CachedFeatures | null;
  val: CachedFeatures | null;
}

/** The feature store's name for a split's mirrored faces (their own file beside the split's). */
export const MIRRORED_SUFFIX = '-mirrored';

/** One split's part of the pass: its rows' features (stored or computed), which rows are there, which to compute. */
interface Part {
  split: string | null;
  data: LabelledPixels;
  features: Float32Array;
  have: Uint8Array;
  missing: number[];
}

/** The run's store, when it has one, the switch is on and every split carries sample ids (tests' bare arrays do not). */
async function openStore(base: tf.LayersModel, cut: string[] | null, opts: TrainOptions): Promise<FeatureStore | null> {
  const { config: cfg, featureStore: ref, train, val } = opts;
  if (!ref || !featureStoreEnabled() || !train.ids || (val && val.n > 0 && !val.ids)) return null;
  const { key, hash } = await featureKey({ model: cfg.model, features: cfg.features, inputSize: cfg.inputSize, spec: opts.spec, base, cut });
  return new FeatureStore(ref.root, hash, key);
}

/**
 * The frozen base's features for the training and validation splits: the rows the feature store holds are read,
 * the rest computed in split order, reporting progress as phase 'features' (on a CPU this takes as long as several
 * head epochs: 30 min for faceres at 224 on FER2013) and polling the stop request between chunks; the rows computed
 * (even by a stopped pass) are added to the store. cache is null when a stop was requested.
 */
export async function computeFeatureCache(
  split: { base: tf.LayersModel; head: tf.LayersModel; cut: string[] | null },
  opts: TrainOptions,
  epochsDone: number,
): Promise<{ cache: FeatureCache | null; store: CachePlan['store'] | null }> {
  const { config: cfg, spec, train: data, val, hooks = {} } = opts;
  const shapes = featureShapesOf(split.base);
  const size = shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  const store = await openStore(split.base, split.cut, opts);
  const datasetId = opts.featureStore?.datasetId ?? 0;
  const mirror = isFlipOnly(cfg.augment);
  // The mirrored faces are a split of their own for the store: their pixels are what its rows are checked against.
  const mirrored = mirror ? [{ split: cfg.trainSplit && `${cfg.trainSplit}${MIRRORED_SUFFIX}`, data: { ...data, pixels: mirrorPixels(data.pixels, data.n) } }] : [];
  const parts: Part[] = [{ split: cfg.trainSplit, data }, ...mirrored, ...(val && val.n > 0 ? [{ split: cfg.valSplit, data: val }] : [])].map((p) => {
    const found = store && p.split ? store.lookup(datasetId, p.split, p.data.ids!, p.data.pixels, size) : null;
    if (found?.warning) hooks.onNote?.(found.warning, 'warn');
    const have = found?.have ?? new Uint8Array(p.data.n);
    const missing: number[] = [];
    for (let i = 0; i < p.data.n; i++) if (!have[i]) missing.push(i);
    return { ...p, features: found?.data ?? new Float32Array(p.data.n * size), have, missing };
  });
  const total = parts.reduce((a, p) => a + p.data.n, 0);
  const toCompute = parts.reduce((a, p) => a + p.missing.length, 0);
  const reused = total - toCompute;
  const views = mirror ? ` (the ${data.n} training faces counted twice: as they are and mirrored)` : '';
  if (store) hooks.onNote?.(`Reused ${reused} of ${total} faces' features from the feature store (key ${store.hash}); computing ${toCompute}${views}.`, 'info');

  const everyMs = opts.progressEveryMs ?? 250;
  const started = performance.now();
  let lastProgress = 0;
  let computed = 0;
  let stop = false;
  const progress = (seen: number, force: boolean) => {
    const now = performance.now();
    if (!hooks.onProgress || !(force || now - lastProgress >= everyMs)) return;
    lastProgress = now;
    const rate = computed / Math.max((now - started) / 1000, 1e-9);
    hooks.onProgress({ phase: 'features', epoch: epochsDone, epochs: cfg.epochs, batch: seen, batches: total, loss: 0, acc: 0, lr: cfg.lr, imgPerSec: rate, etaSec: rate > 0 ? (total - seen) / rate : 0 });
  };
  for (const part of parts) {
    if (!part.missing.length) continue;
    const before = computed;
    const ok = await CachedFeatures.fill(split.base, part.data.pixels, part.missing, part.data.n, spec, part.features, 64, async (done) => {
      for (let j = computed - before; j < done; j++) part.have[part.missing[j]!] = 1;
      computed = before + done;
      // Let a stop request (an IPC message) in: on wasm each await resolves as a microtask.
      await new Promise<void>((r) => setImmediate(r));
      stop = hooks.shouldStop?.() ?? false;
      progress(reused + computed, reused + computed === total || stop);
      return !stop;
    });
    if (!ok) break;
  }
  // Everything came from the store: one report, so the phase still shows before the first batch.
  if (toCompute === 0) progress(total, true);
  if (store && computed > 0) {
    for (const part of parts) {
      if (!part.split || part.missing.every((i) => !part.have[i])) continue;
      try {
        store.save(datasetId, part.split, part.data.ids!, part.data.pixels, size, part.features, part.have);
      } catch (err) {
        // A cache: a full disk or a read-only home costs the next run the time, not this one its result.
        hooks.onNote?.(`Could not add the computed features to the feature store (${store.dir}): ${(err as Error).message}.`, 'warn');
      }
    }
  }
  const report = store ? { key: store.hash, reused, computed } : null;
  if (stop) return { cache: null, store: report };
  const of = (p: Part | undefined) => (p ? CachedFeatures.of(p.features, p.data.n, shapes) : null);
  const [t, m, v] = mirror ? parts : [parts[0], undefined, parts[1]];
  return {
    cache: { head: split.head, train: of(t)!, trainMirrored: of(m), val: of(v) },
    store: report,
  };
}
