import { z } from 'zod';
import { SPLITS } from '../labels';
import { invoke, returns } from './define';
import { BACKEND_NAMES, type BackendName } from './system';
import type { ExternalModelInfo } from './models';

export const MODEL_NAMES = ['baseline', 'resnet50', 'senet50', 'vgg16', 'faceres', 'mobilefacenet'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The longest a run's name may be (runs.create's name, runs.update's). */
export const RUN_NAME_MAX = 200;
/** The longest a run's notes (config.notes) may be. */
export const RUN_NOTES_MAX = 2000;

/** The most units a hidden FC layer (config.hidden) may have. */
export const HIDDEN_MAX = 4096;

export const augmentSchema = z.strictObject({
  flip: z.boolean().default(true),
  /** Degrees, ± range. The paper uses 10. */
  rotation: z.number().min(0).max(45).default(10),
  /** Fraction, ± range. The paper uses 0.1. */
  zoom: z.number().min(0).max(0.5).default(0.1),
  shiftX: z.number().min(0).max(0.5).default(0.1),
  shiftY: z.number().min(0).max(0.5).default(0.1),
});
export type AugmentConfig = z.output<typeof augmentSchema>;

/** Each learning-rate schedule's schema by its kind (the New experiment form reads their defaults and bounds). */
export const SCHEDULE_SCHEMAS = {
  constant: z.strictObject({ kind: z.literal('constant') }),
  step: z.strictObject({ kind: z.literal('step'), every: z.number().int().positive().default(10), gamma: z.number().gt(0).lt(1).default(0.5) }),
  cosine: z.strictObject({ kind: z.literal('cosine'), minLr: z.number().min(0).default(0) }),
  plateau: z.strictObject({
    kind: z.literal('plateau'),
    patience: z.number().int().positive().default(3),
    factor: z.number().gt(0).lt(1).default(0.5),
    minLr: z.number().min(0).default(1e-6),
  }),
};
export type ScheduleKind = keyof typeof SCHEDULE_SCHEMAS;

export const scheduleSchema = z.discriminatedUnion('kind', [SCHEDULE_SCHEMAS.constant, SCHEDULE_SCHEMAS.step, SCHEDULE_SCHEMAS.cosine, SCHEDULE_SCHEMAS.plateau]);

/** The most folds a k-fold cross-validation may have (each fold run trains on (k-1)/k of the split). */
export const FOLDS_MAX = 10;

/**
 * k-fold cross-validation: the run trains on its training split minus fold `index` of k (a fixed, class-stratified
 * assignment of the split's faces), so the faces of that fold are out-of-sample for it.
 */
export const foldSchema = z
  .strictObject({ k: z.number().int().min(2).max(FOLDS_MAX), index: z.number().int().min(0).max(FOLDS_MAX - 1) })
  .refine((f) => f.index < f.k, { path: ['index'], message: 'index must be below k (folds are numbered 0 to k-1).' });
export type FoldConfig = z.output<typeof foldSchema>;

/** Where the head of a pretrained face base attaches (TrainConfig.features). */
export const FEATURE_LEVELS = ['final', 'multilevel', 'grid'] as const;
/** What selects a run's best epoch (TrainConfig.monitor). */
export const MONITORS = ['valLoss', 'valAcc'] as const;
export type Monitor = (typeof MONITORS)[number];
export type FeatureLevel = (typeof FEATURE_LEVELS)[number];

export const trainConfigSchema = z.strictObject({
  dataset: z.union([z.string().min(1), z.number().int().positive()]),
  /**
   * A dataset revision of `dataset` to train on (its id, or its name, stored as the id): its excluded faces are left
   * out and its relabelled faces carry the new label in every split the trainer loads. null: the import as it is.
   */
  revision: z.union([z.string().trim().min(1), z.number().int().positive()]).nullable().default(null),
  model: z.enum(MODEL_NAMES).default('baseline'),
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  lr: z.number().gt(0).max(10).default(0.001),
  momentum: z.number().min(0).lt(1).default(0.9),
  schedule: scheduleSchema.default({ kind: 'constant' }),
  batch: z.number().int().positive().max(4096).default(64),
  epochs: z.number().int().positive().max(1000).default(10),
  /** Early stopping on validation loss, restoring the best weights; 0 turns it off. */
  patience: z.number().int().min(0).default(0),
  /**
   * What the best checkpoint and early stopping follow (Keras' `monitor`): the validation loss, or the validation
   * accuracy (for a head that overfits its loss while its accuracy still climbs). The plateau schedule follows the
   * validation loss either way. valAcc needs a validation split.
   */
  monitor: z.enum(MONITORS).default('valLoss'),
  seed: z.number().int().min(0).default(1),
  trainSplit: z.enum(SPLITS).default('Training'),
  valSplit: z.enum(SPLITS).nullable().default('PublicTest'),
  testSplit: z.enum(SPLITS).nullable().default('PrivateTest'),
  /** Cap on training samples (quick experiments); null uses the whole split. */
  limitTrain: z.number().int().positive().nullable().default(null),
  /** Hold out one fold of the training split (k-fold cross-validation); null trains on all of it. */
  fold: foldSchema.nullable().default(null),
  inputSize: z.number().int().min(32).max(256).default(48),
  channels: z.union([z.literal(1), z.literal(3)]).default(1),
  augment: augmentSchema.nullable().default(null),
  classWeights: z.boolean().default(false),
  /**
   * mixup (Zhang et al. 2018): each batch trains on λ·x + (1−λ)·x' with the labels mixed alike, x' the same batch in a
   * seeded permutation, λ ~ Beta(α, α) once a batch (the larger of λ and 1−λ, so the first face leads). The value
   * is α; 0 turns it off. On a run with cached features it mixes what the cache gives the training layers (the
   * frozen base's features, or the outputs at a cut inside it: "manifold mixup"), the one augmentation beside the
   * flip that caching leaves possible.
   */
  mixup: z.number().min(0).max(4).default(0),
  /** Label smoothing: the targets are (1−ε)·one-hot + ε/7. The value is ε; 0 turns it off. */
  labelSmoothing: z.number().min(0).max(0.5).default(0),
  /**
   * Weight averaging (an exponential moving average of the trained weights, Polyak averaging): after each batch
   * avg ← d·avg + (1 − d)·w. Validation, the best checkpoint and the finished model use the average. The value is the
   * decay d (0.999: about the last 1,000 batches); 0 turns it off.
   */
  ema: z.number().min(0).max(0.9999).default(0),
  backend: z.enum(BACKEND_NAMES).nullable().default(null),
  /** Transfer learning: an imported weights id, and how many base layers stay frozen. */
  weights: z.string().nullable().default(null),
  freeze: z.number().int().min(0).default(0),
  /** Cache the frozen base's features when its input is not augmented. */
  cacheFeatures: z.boolean().default(false),
  /**
   * Baseline: units of a hidden fully connected layer (batch norm, ReLU, dropout 0.5) between the convolutions
   * and the 7-way output. 0 keeps torch_peer.py's net (dropout 0.5 straight into the output).
   * faceres: > 0 replaces the paper's FC 4096 + 1024 head with a lighter FC `hidden` (ReLU, dropout 0.5) head.
   */
  hidden: z.number().int().min(0).max(HIDDEN_MAX).default(0),
  /**
   * What the head reads from a pretrained face base (faceres): 'final', its last global pool; 'multilevel', the
   * global average pools of its last blocks side by side (faceres: conv_pw_11, conv_pw_12 and the final pool, 2,560
   * values). A face-recognition network is trained to make its last layer blind to expression; earlier blocks keep
   * more of it (README, "Face backbones from npm"). 'grid': the same layers each average-pooled over a 2×2 grid of
   * the face instead of the whole of it (upper and lower, left and right halves; faceres at 224: 10,240 values), so
   * the head can tell a feature at the mouth from one at the eyes: a global pool cannot.
   */
  features: z.enum(FEATURE_LEVELS).default('final'),
  /**
   * Warm start (the second stage of transfer learning: a head trained on a frozen base, then the last blocks
   * unfrozen at a small learning rate): the id of a run whose best checkpoint (its `best` weights; a run without one
   * is refused) gives every weight of the new model at the start. The architecture must be the same (model,
   * features, inputSize, channels, hidden: what sets the layers' names and weight shapes); freeze, lr, optimizer,
   * epochs and the rest may differ. A resume loads the run's own `last` checkpoint instead. null: the model's own
   * initial weights (and imported `weights`), as every run before this field.
   */
  initFrom: z.number().int().positive().nullable().default(null),
  notes: z.string().max(RUN_NOTES_MAX).default(''),
});
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

export type RunStatus = 'queued' | 'running' | 'stopping' | 'stopped' | 'completed' | 'failed';

export interface RunSummary {
  id: number;
  name: string;
  datasetId: number;
  datasetName: string;
  /** 'external': a model trained elsewhere and imported (RunDetail.external says what it is). */
  model: ModelName | 'external';
  status: RunStatus;
  seed: number;
  backend: BackendName | null;
  backendReason: string | null;
  epochsDone: number;
  epochs: number;
  bestValAcc: number | null;
  bestValLoss: number | null;
  bestEpoch: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationSec: number | null;
  error: string | null;
  groupId: string | null;
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  acc: number;
  valLoss: number | null;
  valAcc: number | null;
  lr: number;
  imgPerSec: number;
  seconds: number;
}

export interface RunDetail {
  run: RunSummary;
  /** null for an external model: it was not trained here. */
  config: TrainConfig | null;
  external: ExternalModelInfo | null;
  codeVersion: string;
  epochs: EpochMetrics[];
  checkpoints: { epoch: number; kind: 'last' | 'best'; path: string; createdAt: string }[];
}

export interface RunProgress {
  runId: number;
  /**
   * 'features': a frozen base computing its cached features before the first epoch (batch/batches count images,
   * loss and acc are 0); 'batch': a training batch; 'epoch': an epoch's end with its validation scores.
   */
  phase: 'features' | 'batch' | 'epoch';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  acc: number;
  valLoss?: number;
  valAcc?: number;
  lr: number;
  imgPerSec: number;
  etaSec: number;
}

export interface ModelPreset {
  id: string;
  label: string;
  description: string;
  config: Partial<TrainConfigInput>;
}

export const runRef = z.strictObject({ runId: z.number().int().positive() });

/**
 * runs.update: a run's name (the legend of its curves, its label in Compare, tables and exports) and its notes are
 * metadata, editable at any status; what it trained with is not. At least one of the two.
 */
export const runUpdateSchema = z
  .strictObject({
    runId: z.number().int().positive(),
    name: z.string().trim().min(1, 'a run needs a name; this one is empty or only spaces.').max(RUN_NAME_MAX).optional(),
    /** Replaces config.notes ('' clears them). A trained run's only: an external model has no training config. */
    notes: z.string().max(RUN_NOTES_MAX).optional(),
  })
  .refine((a) => a.name !== undefined || a.notes !== undefined, { message: 'Give a new name, new notes, or both.' });

export const runsInvoke = {
  'runs.create': invoke(
    z.strictObject({
      config: trainConfigSchema,
      replicates: z.number().int().min(1).max(20).default(1),
      /** k-fold cross-validation: k runs of the config, run i holding out fold i (config.fold must then be null). */
      folds: z.number().int().min(2).max(FOLDS_MAX).optional(),
      name: z.string().max(RUN_NAME_MAX).optional(),
    }),
    returns<RunSummary[]>(),
  ),
  'runs.list': invoke(z.strictObject({}), returns<RunSummary[]>()),
  'runs.get': invoke(runRef, returns<RunDetail>()),
  'runs.stop': invoke(runRef, returns<RunSummary>()),
  'runs.resume': invoke(runRef, returns<RunSummary>()),
  'runs.delete': invoke(runRef, returns<{ deleted: true }>()),
  'runs.update': invoke(runUpdateSchema, returns<RunSummary>()),
  'models.presets': invoke(z.strictObject({}), returns<ModelPreset[]>()),
};

export const runsEvents = {
  'run.progress': returns<RunProgress>(),
  /** An epoch's end as the trainer measured it (its own clock, validation scores), for live curves. */
  'run.epoch': returns<{ runId: number; metrics: EpochMetrics }>(),
  'run.status': returns<RunSummary>(),
};
