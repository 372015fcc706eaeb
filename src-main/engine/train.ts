import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { EpochMetrics, RunProgress, TrainConfig } from '../../src-shared/contract/runs';
import { AppError } from '../../src-shared/errors';
import { augmentBatch, flipDraws, isIdentity } from './augment';
import { encodeOptimizer, loadModelDir, readableDir, readOrCorrupt, restoreOptimizer, saveModelDir, type CheckpointWhich } from './checkpoint';
import { DivergenceGuard, type GuardState } from './divergence';
import { evaluateInputs, evaluateSplit, type EvalResult, type LabelledPixels } from './evaluate';
import { planFeatureCache, splitForCache, type CachePlan } from './feature-cache';
import { computeFeatureCache, type FeatureCache } from './feature-pass';
import { finishInput, gatherRows, pixelsToImages } from './input';
import { makeLoss } from './losses';
import { mixBatch, mixDraw, smoothLabels } from './mixup';
import { firstStepMemoryError, GpuErrorWatch, gpuRunError, guardFirstStep, memoryLimitsFor, webgpuDevice } from './memory-limits';
import { checkTrainingMemory, estimateTrainingMemory, type MemoryLimits } from './memory-plan';
import { NUM_CLASSES } from '../../src-shared/labels';
import type { InputSpec } from './models/registry';
import { makeOptimizer, setLearningRate } from './optimizers';
import { STREAM, mixSeed, shuffledIndices } from './rng';
import { afterEpoch, initialSchedule, lrForEpoch, type ScheduleState } from './schedule';
import { AVERAGE_FILE, WeightAverage, type AverageState } from './weight-average';

/** Everything needed to continue a run exactly where it stopped; saved as state.json in each checkpoint. */
export interface TrainState {
  version: 1;
  /** Whole epochs finished. */
  epochsDone: number;
  /** Batches already trained in epoch epochsDone+1 (non-zero only after a graceful mid-epoch stop). */
  batchInEpoch: number;
  partial: { lossSum: number; correct: number; seen: number; seconds: number };
  schedule: ScheduleState;
  best: { epoch: number; loss: number; valAcc: number | null } | null;
  /** Epochs since the best one, for early stopping. */
  sinceBest: number;
  /** The divergence guard's running batch-loss level and batch count (absent in checkpoints from before the guard). */
  guard?: GuardState;
  history: (EpochMetrics & { confusion: number[] | null })[];
  optimizer: tf.io.WeightsManifestEntry[];
  /** With `ema`: the running average's update count and layout (its values are average.bin beside the weights). */
  average?: AverageState;
}

/**
 * What the loop reports per batch: a run's progress event without the run id the parent adds; phase 'batch' (the
 * parent's default) unless the frozen base is computing cached features.
 */
export type BatchProgress = Omit<RunProgress, 'runId' | 'phase' | 'valLoss' | 'valAcc'> & { phase?: 'features' };

export interface TrainHooks {
  /** After a resume has loaded its checkpoint: the epochs it already holds. */
  onResumed?(state: TrainState): void;
  onProgress?(p: BatchProgress): void;
  onEpoch?(m: EpochMetrics, confusion: Int32Array | null, isBest: boolean): void;
  onCheckpoint?(which: CheckpointWhich, epoch: number, dir: string): void;
  /** Polled after every batch: true finishes the batch, checkpoints and returns 'stopped'. */
  shouldStop?(): boolean;
  /** A sentence for the run's record: what the feature store gave, or why one of its files was ignored. */
  onNote?(message: string, level: 'info' | 'warn'): void;
}

export interface TrainOptions {
  config: TrainConfig;
  model: tf.LayersModel;
  spec: InputSpec;
  train: LabelledPixels;
  val: LabelledPixels | null;
  test?: LabelledPixels | null;
  /** Per-class loss weights (inverse frequency), or null for plain cross-entropy. */
  classWeights: number[] | null;
  /** Run folder for `last/` and `best/` checkpoints; null trains without checkpoints (benchmarks, tests). */
  dir: string | null;
  /** Continue from the `last` checkpoint in `dir` (weights, optimizer slots, schedule, history). */
  resume?: boolean;
  hooks?: TrainHooks;
  progressEveryMs?: number;
  /**
   * Whether to train the head on cached frozen-base features (planFeatureCache's decision). Computed here when
   * absent; the trainer process passes the plan it already reported, so the run records what actually ran.
   */
  featureCache?: CachePlan;
  /** What the backend can give a step; absent: memoryLimitsFor the active backend (tests force tiny limits). */
  memoryLimits?: MemoryLimits;
  /**
   * The home's feature store (engine/feature-store.ts) and the dataset the splits come from: a cached run reuses the
   * features stored for its faces (rows by `ids`) and adds those it computes. Absent, or FER_FEATURE_STORE=off: unused.
   */
  featureStore?: { root: string; datasetId: number } | null;
}

export interface TrainOutcome {
  status: 'completed' | 'stopped';
  earlyStopped: boolean;
  state: TrainState;
  /** Test-split result of the best weights, when a test split was given and training completed. */
  test: EvalResult | null;
  /** Whether the head trained on cached base features, and why (or why not). */
  featureCache: CachePlan;
}

type DropoutLike = { seed?: number };

/** Dropout layers anywhere in the model (nested models included): their seed is set per batch. */
function dropoutLayers(model: tf.LayersModel | tf.layers.Layer): DropoutLike[] {
  const out: DropoutLike[] = [];
  const visit = (layer: tf.layers.Layer) => {
    if (layer.getClassName() === 'Dropout') out.push(layer as unknown as DropoutLike);
    const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (inner) inner.forEach(visit);
  };
  (model as unknown as { layers: tf.layers.Layer[] }).layers.forEach(visit);
  return out;
}

export function freshState(cfg: TrainConfig): TrainState {
  return {
    version: 1,
    epochsDone: 0,
    batchInEpoch: 0,
    partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
    schedule: initialSchedule(cfg),
    best: null,
    sinceBest: 0,
    history: [],
    optimizer: [],
  };
}

export function readState(dir: string): TrainState {
  const file = join(readableDir(dir), 'state.json');
  let state: TrainState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as TrainState;
  } catch (err) {
    throw new AppError('CHECKPOINT_CORRUPT', `Checkpoint state ${file} is missing or not valid JSON: ${(err as Error).message}`);
  }
  if (state?.version !== 1 || !Number.isInteger(state.epochsDone) || !Array.isArray(state.history)) {
    throw new AppError('CHECKPOINT_CORRUPT', `Checkpoint state ${file} is not a FER Workbench training state.`);
  }
  return state;
}

async function saveCheckpoint(model: tf.LayersModel, opt: tf.Optimizer, state: TrainState, dir: string, average: WeightAverage | null): Promise<void> {
  const { data, specs } = await encodeOptimizer(opt);
  const avg = average ? await average.encode() : null;
  const averaged: Record<string, Uint8Array> = avg ? { [AVERAGE_FILE]: avg.data } : {};
  await saveModelDir(model, dir, { 'optimizer.bin': data, ...averaged, 'state.json': JSON.stringify({ ...state, optimizer: specs, average: avg?.state }) });
}

/**
 * The `best` checkpoint: with weight averaging, the averaged weights (the ones validation scored) go in its model,
 * so evaluation, `--init-from` and the finished run all use them; `last` keeps the trained ones to resume from.
 */
async function saveBest(model: tf.LayersModel, opt: tf.Optimizer, state: TrainState, dir: string, average: WeightAverage | null): Promise<void> {
  if (!average) return saveCheckpoint(model, opt, state, dir, null);
  await average.withAverage(() => saveCheckpoint(model, opt, state, dir, average));
}

/** With `ema`: the average a resumed run saved in `last`, or one that starts at the network's present weights. */
function startAverage(cfg: TrainConfig, net: tf.LayersModel, state: TrainState, lastDir: string | null): WeightAverage | null {
  if (cfg.ema <= 0) return null;
  if (!state.average || !lastDir) return WeightAverage.start(net, cfg.ema);
  const file = join(readableDir(lastDir), AVERAGE_FILE);
  return WeightAverage.restore(net, cfg.ema, state.average, readOrCorrupt(file), file);
}

/**
 * The training loop: seeded shuffle, one batched augmentation transform, class-weighted loss through
 * optimizer.minimize, per-epoch validation with a confusion matrix, `last` and `best` checkpoints every
 * epoch, early stopping with best-weights restore, and a graceful stop that finishes the current batch.
 */
export async function train(opts: TrainOptions): Promise<TrainOutcome> {
  const { config: cfg, model, spec, train: data, val, hooks = {} } = opts;
  const bs = cfg.batch;
  if (data.n === 0) throw new AppError('INVALID_INPUT', `The ${cfg.trainSplit} split has no samples to train on.`);
  if (bs > data.n) throw new AppError('INVALID_INPUT', `batch ${bs} is larger than the ${data.n} training samples.`);
  const batches = Math.ceil(data.n / bs);
  let plan = opts.featureCache ?? planFeatureCache(cfg, model, data.n + (val?.n ?? 0), data.n);
  // With a cache, the network that trains is the part after the frozen layers: the head alone when the whole base
  // is frozen, or the base's last layers and the head when the cut falls inside it (feature-cache.ts cacheCut).
  // base and head share model's layer objects (so its weight variables): training the head trains the model's
  // layers, and checkpoints of `model` save base + head as one model that evaluation loads unchanged. They are
  // never disposed: that would dispose the model's own weights.
  const split = plan.applies ? splitForCache(model, cfg.freeze) : null;
  const net = split?.head ?? model;
  // Before anything is computed or written: a run too big for the backend fails here, naming a batch that fits.
  const memory = estimateTrainingMemory(net, cfg.optimizer);
  const limits = opts.memoryLimits ?? memoryLimitsFor(tf.getBackend());
  const shape = { model: cfg.model, inputSize: cfg.inputSize, batch: bs };
  checkTrainingMemory(memory, limits, shape);
  const opt = makeOptimizer(cfg);
  const drops = dropoutLayers(model);
  const weights = opts.classWeights ? tf.tensor1d(opts.classWeights) : null;
  // Released in the finally below however the run ends: stopped, failed to resume, or diverged.
  let gpuWatch: GpuErrorWatch | null = null;
  let average: WeightAverage | null = null;
  try {
    // trainOnBatch, not optimizer.minimize over model.apply: only the compiled train function runs the graph in
    // training mode (apply on a functional model drops the `training` flag, freezing batch norm and dropout).
    net.compile({ optimizer: opt, loss: makeLoss(weights), metrics: ['accuracy'] });
    const aug = isIdentity(cfg.augment) ? null : cfg.augment;
    const lastDir = opts.dir ? join(opts.dir, 'last') : null;
    const bestDir = opts.dir ? join(opts.dir, 'best') : null;

    let state = freshState(cfg);
    if (opts.resume) {
      if (!lastDir) throw new Error('resume needs a run folder');
      state = readState(lastDir);
      const saved = await loadModelDir(lastDir);
      try {
        model.setWeights(saved.getWeights());
      } catch (err) {
        throw new AppError('CHECKPOINT_CORRUPT', `Checkpoint ${lastDir} does not fit this model: ${(err as Error).message}`);
      } finally {
        saved.dispose();
      }
      const file = join(readableDir(lastDir), 'optimizer.bin');
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (err) {
        throw new AppError('CHECKPOINT_CORRUPT', `Optimizer state ${file} is missing: ${(err as Error).message}`);
      }
      if (state.optimizer.length) await restoreOptimizer(opt, bytes, state.optimizer, file);
      hooks.onResumed?.(state);
    }
    // After a resume has loaded its weights (the base's are frozen, so they are the ones it was cached with).
    const pass = split ? await computeFeatureCache(split, opts, state.epochsDone) : null;
    const cache: FeatureCache | null = pass?.cache ?? null;
    if (pass?.store) plan = { ...plan, store: pass.store };
    if (split && !cache) {
      // Stopped while the features were being computed: nothing trained yet, so the checkpoint is the state as it was
      // (a resume computes the features again, less those the feature store kept).
      if (lastDir) {
        await saveCheckpoint(model, opt, state, lastDir, null);
        hooks.onCheckpoint?.('last', state.epochsDone, lastDir);
      }
      return { status: 'stopped', earlyStopped: false, state, test: null, featureCache: plan };
    }
    // After a resume has loaded the trained weights, which a fresh average starts from.
    average = startAverage(cfg, net, state, lastDir);

    const batchBuf = new Uint8Array(bs * 2304);
    const labelBuf = new Int32Array(bs);
    const everyMs = opts.progressEveryMs ?? 250;
    let lastProgress = 0;
    let stopped = false;
    let firstStep = true;
    let earlyStopped = false;
    let epochSecondsEstimate: number | null = null;
    let lr = cfg.lr;
    const guard = new DivergenceGuard(() => ({ lr, best: state.best }));
    if (state.guard) guard.restore(state.guard);
    const gpu = webgpuDevice();
    gpuWatch = gpu ? new GpuErrorWatch(gpu) : null;
    const gpuCheck = (at: { epoch: number; batch?: number }) => {
      const report = gpuWatch?.failure();
      if (report) throw gpuRunError(report, at, memory, shape);
    };

    for (let epoch = state.epochsDone + 1; epoch <= cfg.epochs && !stopped; epoch++) {
      lr = lrForEpoch(cfg, epoch, state.schedule);
      setLearningRate(opt, lr);
      const order = shuffledIndices(data.n, mixSeed(cfg.seed, STREAM.shuffle, epoch));
      const startBatch = state.batchInEpoch;
      let { lossSum, correct, seen, seconds } = state.partial;
      const epochStart = performance.now() - seconds * 1000;

      for (let b = startBatch; b < batches; b++) {
        const from = b * bs;
        const to = Math.min(data.n, from + bs);
        const m = to - from;
        for (let i = 0; i < m; i++) labelBuf[i] = data.labels[order[from + i]!]!;
        drops.forEach((d, i) => (d.seed = mixSeed(cfg.seed, STREAM.dropout, epoch, b, i)));

        const mix = cfg.mixup > 0 ? mixDraw(m, cfg.mixup, mixSeed(cfg.seed, STREAM.mixup, epoch, b)) : null;
        const [x, y] = tf.tidy(() => {
          let input: tf.Tensor | tf.Tensor[];
          if (cache) {
            // Flip-only augmentation on a cache: the faces this batch's draw mirrors are read from their mirrored views.
            const mirrored = cache.trainMirrored ? { views: cache.trainMirrored, flips: flipDraws(m, mixSeed(cfg.seed, STREAM.augment, epoch, b)) } : undefined;
            input = cache.train.gather(order, from, to, mirrored);
          } else {
            let img = pixelsToImages(gatherRows(data.pixels, order, from, to, batchBuf), m);
            if (aug) img = augmentBatch(img, aug, mixSeed(cfg.seed, STREAM.augment, epoch, b));
            input = finishInput(img, spec);
          }
          let target = tf.oneHot(tf.tensor1d(labelBuf.subarray(0, m), 'int32'), NUM_CLASSES) as tf.Tensor2D;
          if (cfg.labelSmoothing > 0 || mix) target = target.toFloat();
          if (cfg.labelSmoothing > 0) target = smoothLabels(target, cfg.labelSmoothing);
          return mix ? mixBatch(input, target, mix) : ([input, target] as const);
        });
        let out: number | number[];
        try {
          // The first step of this process finds out whether the memory is really there (webgpu: in error scopes).
          out = firstStep ? await guardFirstStep(() => net.trainOnBatch(x, y), (cause) => firstStepMemoryError(cause, memory, limits, shape)) : await net.trainOnBatch(x, y);
          firstStep = false;
        } finally {
          tf.dispose([x, y]);
        }
        const [batchLoss, batchAcc] = Array.isArray(out) ? out : [out, NaN];
        const batchCorrect = Math.round(batchAcc! * m);
        // Before anything is saved: the `last` checkpoint never holds what a broken batch did (the run fails and its
        // `best` and `last` checkpoints stay as the previous epoch left them).
        gpuCheck({ epoch, batch: b + 1 });
        await guard.batch(batchLoss!, net.trainableWeights, { epoch, batch: b + 1 });
        average?.update();
        lossSum += batchLoss! * m;
        correct += batchCorrect;
        seen += m;
        const now = performance.now();
        seconds = (now - epochStart) / 1000;
        // Yield to the event loop once a batch: on wasm every await above resolves as a microtask, so without
        // this a stop request (an IPC message) and our own progress sends would wait until training ends.
        await new Promise<void>((r) => setImmediate(r));
        const stopNow = hooks.shouldStop?.() ?? false;
        if (hooks.onProgress && (now - lastProgress >= everyMs || b === batches - 1 || stopNow)) {
          lastProgress = now;
          const perBatch = seconds / Math.max(1, b + 1 - startBatch);
          const left = (batches - b - 1) * perBatch + (cfg.epochs - epoch) * (epochSecondsEstimate ?? perBatch * batches * 1.1);
          hooks.onProgress({ epoch, epochs: cfg.epochs, batch: b + 1, batches, loss: lossSum / seen, acc: correct / seen, lr, imgPerSec: seen / Math.max(seconds, 1e-9), etaSec: left });
        }
        if (stopNow && b < batches - 1) {
          // Graceful stop mid-epoch: keep the partial sums so a resume continues this very epoch.
          state = { ...state, batchInEpoch: b + 1, partial: { lossSum, correct, seen, seconds }, guard: guard.snapshot() };
          if (lastDir) {
            await saveCheckpoint(model, opt, state, lastDir, average);
            hooks.onCheckpoint?.('last', state.epochsDone, lastDir);
          }
          stopped = true;
          break;
        }
      }
      if (stopped) break;

      const trainSeconds = seconds;
      const validate = async () => (!val || val.n === 0 ? null : cache?.val ? await evaluateInputs(cache.head, val.labels, val.n, (from, m) => cache.val!.rows(from, from + m)) : await evaluateSplit(model, val, spec));
      const v = average ? await average.withAverage(validate) : await validate();
      const monitored = v ? v.loss : lossSum / seen;
      gpuCheck({ epoch });
      await guard.epoch(v ? v.loss : null, v && state.best ? state.best.loss : null, model.trainableWeights, { epoch });
      // By accuracy only where asked and measured; a tie keeps the earlier epoch, as a loss tie does.
      const isBest = state.best === null || (cfg.monitor === 'valAcc' && v ? v.acc > (state.best.valAcc ?? -1) : monitored < state.best.loss);
      const metrics: EpochMetrics = {
        epoch,
        loss: lossSum / seen,
        acc: correct / seen,
        valLoss: v ? v.loss : null,
        valAcc: v ? v.acc : null,
        lr,
        imgPerSec: seen / Math.max(trainSeconds, 1e-9),
        seconds: (performance.now() - epochStart) / 1000,
      };
      epochSecondsEstimate = metrics.seconds;
      state = {
        ...state,
        epochsDone: epoch,
        batchInEpoch: 0,
        partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
        schedule: afterEpoch(cfg, state.schedule, lr, monitored),
        best: isBest ? { epoch, loss: monitored, valAcc: v ? v.acc : null } : state.best,
        sinceBest: isBest ? 0 : state.sinceBest + 1,
        history: [...state.history, { ...metrics, confusion: v ? Array.from(v.confusion) : null }],
        guard: guard.snapshot(),
      };
      if (cfg.patience > 0 && state.sinceBest >= cfg.patience) earlyStopped = true;
      if (lastDir && bestDir) {
        await saveCheckpoint(model, opt, state, lastDir, average);
        if (isBest) await saveBest(model, opt, state, bestDir, average);
      }
      hooks.onEpoch?.(metrics, v ? v.confusion : null, isBest);
      if (lastDir && bestDir) {
        hooks.onCheckpoint?.('last', epoch, lastDir);
        if (isBest) hooks.onCheckpoint?.('best', epoch, bestDir);
      }
      if (hooks.shouldStop?.() && epoch < cfg.epochs) stopped = true;
      if (earlyStopped) break;
    }

    let test: EvalResult | null = null;
    if (!stopped) {
      // Best-weights restore: the model a finished run leaves behind is its best epoch's (with `ema`, its average,
      // which the trained weights in memory are not even at the best epoch).
      if (bestDir && state.best && (state.best.epoch !== state.epochsDone || average)) {
        const best = await loadModelDir(bestDir);
        model.setWeights(best.getWeights());
        best.dispose();
      } else if (average) average.apply();
      if (opts.test && opts.test.n > 0) test = await evaluateSplit(model, opts.test, spec);
    }
    return { status: stopped ? 'stopped' : 'completed', earlyStopped, state, test, featureCache: plan };
  } finally {
    gpuWatch?.stop();
    average?.dispose();
    weights?.dispose();
    opt.dispose();
  }
}
