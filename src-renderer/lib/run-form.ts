import {
  BASE_LAYER_COUNTS,
  SCHEDULE_SCHEMAS,
  augmentSchema,
  boundsText,
  defaultOf,
  numberBounds,
  runsInvoke,
  trainConfigSchema,
  withinBounds,
  type BackendName,
  TRANSFER_ARCHITECTURES,
  featureCacheHint,
  npmBackbone,
  npmBaseLayers,
  type FeatureLevel,
  type Monitor,
  parseWeightsId,
  type ModelName,
  type ModelPreset,
  type NumberBounds,
  type RunSummary,
  type ScheduleKind,
  type TrainConfigInput,
  type TransferArchitecture,
  type WeightsInfo,
} from '../../src-shared/contract';
import type { Split } from '../../src-shared/labels';

/**
 * The New experiment form as plain data: defaults, the checks it can make without a round trip, and the
 * mapping to the contract's TrainConfigInput. No runes here, so it is testable in plain Node. Defaults and
 * limits are read from the contract's schemas (trainConfigSchema, its schedules and augmentation, runs.create's
 * replicates), never written here a second time.
 */

/** The form's fields as the inputs hold them; `toConfig` turns them into the contract's TrainConfigInput. */
export interface RunForm {
  name: string;
  dataset: number | null;
  /** A dataset revision of `dataset` to train on (its id); null: the import as it is. */
  revision: number | null;
  preset: string;
  model: ModelName;
  weights: string;
  freeze: number;
  cacheFeatures: boolean;
  /** Units of the hidden FC layer (baseline; a lighter head for the npm face backbones); 0 = none. */
  hidden: number;
  /** What the head reads from an npm face base: its final pool, or intermediate pools beside it. */
  features: FeatureLevel;
  inputSize: number;
  channels: 1 | 3;
  /** A run whose best weights the new run starts from (its id); null: the model's own initial weights. */
  initFrom: number | null;
  optimizer: 'adam' | 'sgd';
  lr: number;
  momentum: number;
  schedule: ScheduleKind;
  stepEvery: number;
  stepGamma: number;
  minLr: number;
  plateauPatience: number;
  plateauFactor: number;
  batch: number;
  epochs: number;
  patience: number;
  /** What picks the best epoch and stops early. */
  monitor: Monitor;
  augment: boolean;
  flip: boolean;
  rotation: number;
  zoom: number;
  shiftX: number;
  shiftY: number;
  classWeights: boolean;
  /** mixup's α (0 = off): batches train on convex mixes of two faces (or their cached features) and their labels. */
  mixup: number;
  /** Label smoothing's ε (0 = off). */
  labelSmoothing: number;
  /** Weight averaging's decay (0 = off). */
  ema: number;
  seed: number;
  replicates: number;
  limitTrain: number | null;
  valSplit: Split | '';
  backend: '' | BackendName;
  notes: string;
}

const config = trainConfigSchema.shape;
const augment = augmentSchema.shape;
const step = SCHEDULE_SCHEMAS.step.shape;
const plateau = SCHEDULE_SCHEMAS.plateau.shape;
const cosine = SCHEDULE_SCHEMAS.cosine.shape;
const replicates = runsInvoke['runs.create'].args.shape.replicates;

/** The schema field behind each numeric input of the form (its default and its bounds). */
export const RUN_FORM_NUMBERS = {
  freeze: config.freeze,
  hidden: config.hidden,
  inputSize: config.inputSize,
  lr: config.lr,
  momentum: config.momentum,
  stepEvery: step.every,
  stepGamma: step.gamma,
  // One Min LR input serves cosine and plateau; it starts at cosine's default (plateau's is 1e-6).
  minLr: cosine.minLr,
  plateauPatience: plateau.patience,
  plateauFactor: plateau.factor,
  batch: config.batch,
  epochs: config.epochs,
  patience: config.patience,
  rotation: augment.rotation,
  zoom: augment.zoom,
  shiftX: augment.shiftX,
  shiftY: augment.shiftY,
  mixup: config.mixup,
  labelSmoothing: config.labelSmoothing,
  ema: config.ema,
  seed: config.seed,
  replicates,
  limitTrain: config.limitTrain,
} as const;
type NumberField = keyof typeof RUN_FORM_NUMBERS;

/** Each numeric input's limits, for the checks below and the inputs' min / max attributes. */
export const RUN_FORM_BOUNDS = Object.fromEntries(Object.entries(RUN_FORM_NUMBERS).map(([k, schema]) => [k, numberBounds(schema)])) as Record<NumberField, NumberBounds>;

/** How the messages name each numeric input, and what they add after its limits (the augmentation sliders cannot leave theirs). */
const NAMES: Record<Exclude<NumberField, 'rotation' | 'zoom' | 'shiftX' | 'shiftY'>, [string, string?]> = {
  freeze: ['Frozen layers'],
  hidden: ['Hidden units', ' (0 = no hidden layer)'],
  inputSize: ['Input size', ' (pixels)'],
  lr: ['Learning rate'],
  momentum: ['Momentum'],
  stepEvery: ['Step interval', ' (epochs)'],
  stepGamma: ['Gamma'],
  minLr: ['Minimum learning rate'],
  plateauPatience: ['Plateau patience', ' (epochs)'],
  plateauFactor: ['Factor'],
  batch: ['Batch size'],
  epochs: ['Epochs'],
  patience: ['Patience', ' (0 turns early stopping off)'],
  mixup: ['mixup α', ' (0 turns it off)'],
  labelSmoothing: ['Label smoothing', ' (0 turns it off)'],
  ema: ['Weight averaging decay', ' (0 turns it off)'],
  seed: ['Seed'],
  replicates: ['Replicates'],
  limitTrain: ['Limit', ', or empty for the whole split'],
};

export function defaultForm(): RunForm {
  const schedule = defaultOf(config.schedule).kind;
  return {
    name: '',
    dataset: null,
    revision: null,
    preset: '',
    model: defaultOf(config.model),
    weights: defaultOf(config.weights) ?? '',
    freeze: defaultOf(config.freeze),
    cacheFeatures: defaultOf(config.cacheFeatures),
    hidden: defaultOf(config.hidden),
    features: defaultOf(config.features),
    inputSize: defaultOf(config.inputSize),
    channels: defaultOf(config.channels),
    initFrom: defaultOf(config.initFrom),
    optimizer: defaultOf(config.optimizer),
    lr: defaultOf(config.lr),
    momentum: defaultOf(config.momentum),
    schedule,
    stepEvery: defaultOf(step.every),
    stepGamma: defaultOf(step.gamma),
    minLr: defaultOf(cosine.minLr),
    plateauPatience: defaultOf(plateau.patience),
    plateauFactor: defaultOf(plateau.factor),
    batch: defaultOf(config.batch),
    epochs: defaultOf(config.epochs),
    patience: defaultOf(config.patience),
    monitor: defaultOf(config.monitor),
    // The one default the form chooses: augmentation on, as the paper trains (the contract's default is none,
    // so a CLI run without --augment trains on the plain faces). Its settings start at the contract's.
    augment: true,
    flip: defaultOf(augment.flip),
    rotation: defaultOf(augment.rotation),
    zoom: defaultOf(augment.zoom),
    shiftX: defaultOf(augment.shiftX),
    shiftY: defaultOf(augment.shiftY),
    classWeights: defaultOf(config.classWeights),
    mixup: defaultOf(config.mixup),
    labelSmoothing: defaultOf(config.labelSmoothing),
    ema: defaultOf(config.ema),
    seed: defaultOf(config.seed),
    replicates: defaultOf(replicates),
    limitTrain: defaultOf(config.limitTrain),
    valSplit: defaultOf(config.valSplit) ?? '',
    backend: defaultOf(config.backend) ?? '',
    notes: defaultOf(config.notes),
  };
}

function isTransfer(model: ModelName): model is TransferArchitecture {
  return (TRANSFER_ARCHITECTURES as readonly string[]).includes(model);
}

/**
 * How many layers the chosen pretrained base has (the most `freeze` may be), or null for the baseline. The
 * count depends on the weights' layer naming: from the imported list, else the id, else the architecture's
 * default (vggface), as the trainer decides.
 */
export function baseLayers(f: Pick<RunForm, 'model' | 'weights'> & { features?: FeatureLevel }, weights: readonly WeightsInfo[] = []): { count: number; variant: string } | null {
  const npm = npmBackbone(f.model);
  if (npm) return { count: npmBaseLayers(npm, f.features ?? 'final'), variant: npm.package };
  if (!isTransfer(f.model)) return null;
  const ref = f.weights.trim();
  const known = weights.find((w) => w.id === ref || w.name === ref);
  const variant = known?.variant ?? (ref ? parseWeightsId(ref)?.variant : undefined) ?? 'vggface';
  const counts = BASE_LAYER_COUNTS[f.model];
  const count = counts[variant] ?? counts.vggface!;
  return { count, variant: counts[variant] !== undefined ? variant : 'vggface' };
}

/** What the feature-cache checkbox will do with this form, in one sentence (shared with the trainer's rule). */
export function cacheHint(f: RunForm, weights: readonly WeightsInfo[] = []): { applies: boolean; reason: string } {
  const ref = f.weights.trim();
  // featureCacheHint reads the layer naming from an id: hand it the id of weights chosen by name.
  const id = weights.find((w) => w.id === ref || w.name === ref)?.id ?? (ref || null);
  return featureCacheHint({
    model: f.model,
    weights: id,
    freeze: f.freeze,
    cacheFeatures: f.cacheFeatures,
    features: f.features,
    augment: f.augment ? { flip: f.flip, rotation: f.rotation, zoom: f.zoom, shiftX: f.shiftX, shiftY: f.shiftY } : null,
  });
}

/**
 * The runs the Start from run select offers: trained runs of the chosen model with a best epoch (so a best
 * checkpoint), newest first. The summary does not say their features, input size, channels or hidden units: the
 * service compares those and names the one that differs.
 */
export function initFromCandidates(runs: readonly RunSummary[], model: ModelName): RunSummary[] {
  return runs.filter((r) => r.model === model && r.bestEpoch !== null).sort((a, b) => b.id - a.id);
}

/** The checks the form can make before a round trip; the service's BAD_ARGS covers the rest. */
export function validate(f: RunForm, weights: readonly WeightsInfo[] = [], runs: readonly RunSummary[] = []): Record<string, string> {
  const e: Record<string, string> = {};
  const check = (field: keyof typeof NAMES): void => {
    const b = RUN_FORM_BOUNDS[field];
    if (withinBounds(f[field], b)) return;
    const [name, note = ''] = NAMES[field];
    e[field] = `${name} must be ${boundsText(b)}${note}.`;
  };
  if (f.dataset === null) e.dataset = 'Choose a dataset (import one in Datasets first).';
  check('lr');
  if (f.optimizer === 'sgd') check('momentum');
  for (const field of ['batch', 'epochs', 'patience', 'seed', 'replicates', 'hidden', 'freeze', 'inputSize', 'mixup', 'labelSmoothing', 'ema'] as const) check(field);
  if (f.limitTrain !== null) check('limitTrain');
  const base = baseLayers(f, weights);
  if (!e.freeze && base && f.freeze > base.count) {
    e.freeze = `${f.model}'s pretrained base has ${base.count} layers (${base.variant} naming): freeze at most ${base.count}; ${base.count} freezes the whole base.`;
  }
  const source = f.initFrom === null ? undefined : runs.find((r) => r.id === f.initFrom);
  if (source && source.model !== f.model) e.initFrom = `Run ${source.id} trained ${source.model}, not ${f.model}: a run starts from the weights of the same architecture.`;
  if (f.schedule === 'step') {
    check('stepEvery');
    check('stepGamma');
  }
  if (f.schedule === 'plateau') {
    check('plateauPatience');
    check('plateauFactor');
  }
  if (f.schedule === 'cosine' || f.schedule === 'plateau') check('minLr');
  return e;
}

export function toConfig(f: RunForm): TrainConfigInput {
  const schedule: TrainConfigInput['schedule'] =
    f.schedule === 'step'
      ? { kind: 'step', every: f.stepEvery, gamma: f.stepGamma }
      : f.schedule === 'cosine'
        ? { kind: 'cosine', minLr: f.minLr }
        : f.schedule === 'plateau'
          ? { kind: 'plateau', patience: f.plateauPatience, factor: f.plateauFactor, minLr: f.minLr }
          : { kind: 'constant' };
  return {
    dataset: f.dataset ?? 0,
    revision: f.revision,
    model: f.model,
    optimizer: f.optimizer,
    lr: f.lr,
    momentum: f.momentum,
    schedule,
    batch: f.batch,
    epochs: f.epochs,
    patience: f.patience,
    monitor: f.monitor,
    seed: f.seed,
    limitTrain: f.limitTrain,
    valSplit: f.valSplit === '' ? null : f.valSplit,
    inputSize: f.inputSize,
    channels: f.channels,
    augment: f.augment ? { flip: f.flip, rotation: f.rotation, zoom: f.zoom, shiftX: f.shiftX, shiftY: f.shiftY } : null,
    classWeights: f.classWeights,
    mixup: f.mixup,
    labelSmoothing: f.labelSmoothing,
    ema: f.ema,
    backend: f.backend === '' ? null : f.backend,
    weights: f.weights.trim() === '' ? null : f.weights.trim(),
    freeze: f.freeze,
    cacheFeatures: f.cacheFeatures,
    hidden: f.hidden,
    // Offered for a base with taps only; anything else builds its final features whatever the form held.
    features: npmBackbone(f.model)?.taps ? f.features : 'final',
    initFrom: f.initFrom,
    notes: f.notes,
  };
}

/** Copies a preset's partial config onto the form, field by field, leaving the rest as the user set it. */
export function applyPreset(f: RunForm, preset: ModelPreset): void {
  const c = preset.config;
  f.preset = preset.id;
  if (c.model) f.model = c.model;
  if (c.optimizer) f.optimizer = c.optimizer;
  if (c.lr !== undefined) f.lr = c.lr;
  if (c.momentum !== undefined) f.momentum = c.momentum;
  if (c.batch !== undefined) f.batch = c.batch;
  if (c.epochs !== undefined) f.epochs = c.epochs;
  if (c.patience !== undefined) f.patience = c.patience;
  // Part of the setup as measured: a preset without it selects by validation loss, as the contract defaults.
  f.monitor = c.monitor ?? defaultOf(config.monitor);
  if (c.inputSize !== undefined) f.inputSize = c.inputSize;
  if (c.channels !== undefined) f.channels = c.channels;
  if (c.classWeights !== undefined) f.classWeights = c.classWeights;
  // Part of the setup as measured, like the monitor: a preset without them trains without.
  f.mixup = c.mixup ?? defaultOf(config.mixup);
  f.labelSmoothing = c.labelSmoothing ?? defaultOf(config.labelSmoothing);
  f.ema = c.ema ?? defaultOf(config.ema);
  if (c.weights !== undefined) f.weights = c.weights ?? '';
  if (c.freeze !== undefined) f.freeze = c.freeze;
  if (c.cacheFeatures !== undefined) f.cacheFeatures = c.cacheFeatures;
  // Part of the architecture, not a preference: a preset without it means none (another preset's 256 must not stay).
  f.hidden = c.hidden ?? 0;
  f.features = c.features ?? 'final';
  if (c.augment !== undefined) {
    f.augment = c.augment !== null;
    if (c.augment) {
      f.flip = c.augment.flip ?? f.flip;
      f.rotation = c.augment.rotation ?? f.rotation;
      f.zoom = c.augment.zoom ?? f.zoom;
      f.shiftX = c.augment.shiftX ?? f.shiftX;
      f.shiftY = c.augment.shiftY ?? f.shiftY;
    }
  }
  // Part of the setup as measured too: a preset without one trains at a constant rate (not the last preset's decay).
  if (!c.schedule) f.schedule = defaultOf(config.schedule).kind;
  else {
    const s = c.schedule;
    f.schedule = s.kind;
    if (s.kind === 'step') {
      f.stepEvery = s.every ?? f.stepEvery;
      f.stepGamma = s.gamma ?? f.stepGamma;
    } else if (s.kind === 'cosine') {
      f.minLr = s.minLr ?? f.minLr;
    } else if (s.kind === 'plateau') {
      f.plateauPatience = s.patience ?? f.plateauPatience;
      f.plateauFactor = s.factor ?? f.plateauFactor;
      f.minLr = s.minLr ?? f.minLr;
    }
  }
}
