import {
  BASE_LAYER_COUNTS,
  HIDDEN_MAX,
  trainConfigSchema,
  type BackendName,
  TRANSFER_ARCHITECTURES,
  featureCacheHint,
  npmBackbone,
  parseWeightsId,
  type ModelName,
  type ModelPreset,
  type TrainConfigInput,
  type TransferArchitecture,
  type WeightsInfo,
} from '../../src-shared/contract';
import type { Split } from '../../src-shared/labels';

/**
 * The New experiment form as plain data: defaults, the checks it can make without a round trip, and the
 * mapping to the contract's TrainConfigInput. No runes here, so it is testable in plain Node.
 */
export type ScheduleKind = 'constant' | 'step' | 'cosine' | 'plateau';

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
  inputSize: number;
  channels: 1 | 3;
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
  augment: boolean;
  flip: boolean;
  rotation: number;
  zoom: number;
  shiftX: number;
  shiftY: number;
  classWeights: boolean;
  seed: number;
  replicates: number;
  limitTrain: number | null;
  valSplit: Split | '';
  backend: '' | BackendName;
  notes: string;
}

export function defaultForm(): RunForm {
  return {
    name: '',
    dataset: null,
    revision: null,
    preset: '',
    model: 'baseline',
    weights: '',
    freeze: 0,
    cacheFeatures: false,
    hidden: trainConfigSchema.shape.hidden.parse(undefined),
    inputSize: 48,
    channels: 1,
    optimizer: 'adam',
    lr: 0.001,
    momentum: 0.9,
    schedule: 'constant',
    stepEvery: 10,
    stepGamma: 0.5,
    minLr: 0,
    plateauPatience: 3,
    plateauFactor: 0.5,
    batch: 64,
    epochs: 10,
    patience: 0,
    augment: true,
    flip: true,
    rotation: 10,
    zoom: 0.1,
    shiftX: 0.1,
    shiftY: 0.1,
    classWeights: false,
    seed: 1,
    replicates: 1,
    limitTrain: null,
    valSplit: 'PublicTest',
    backend: '',
    notes: '',
  };
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

function isTransfer(model: ModelName): model is TransferArchitecture {
  return (TRANSFER_ARCHITECTURES as readonly string[]).includes(model);
}

/**
 * How many layers the chosen pretrained base has (the most `freeze` may be), or null for the baseline. The
 * count depends on the weights' layer naming: from the imported list, else the id, else the architecture's
 * default (vggface), as the trainer decides.
 */
export function baseLayers(f: Pick<RunForm, 'model' | 'weights'>, weights: readonly WeightsInfo[] = []): { count: number; variant: string } | null {
  const npm = npmBackbone(f.model);
  if (npm) return { count: npm.baseLayers, variant: npm.package };
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
    augment: f.augment ? { flip: f.flip, rotation: f.rotation, zoom: f.zoom, shiftX: f.shiftX, shiftY: f.shiftY } : null,
  });
}

/** The checks the form can make before a round trip; the service's BAD_ARGS covers the rest. */
export function validate(f: RunForm, weights: readonly WeightsInfo[] = []): Record<string, string> {
  const e: Record<string, string> = {};
  if (f.dataset === null) e.dataset = 'Choose a dataset (import one in Datasets first).';
  if (!(typeof f.lr === 'number' && f.lr > 0 && f.lr <= 10)) e.lr = 'Learning rate must be greater than 0 and at most 10.';
  if (f.optimizer === 'sgd' && !(f.momentum >= 0 && f.momentum < 1)) e.momentum = 'Momentum must be in [0, 1).';
  if (!isInt(f.batch) || f.batch < 1 || f.batch > 4096) e.batch = 'Batch size must be a whole number from 1 to 4096.';
  if (!isInt(f.epochs) || f.epochs < 1 || f.epochs > 1000) e.epochs = 'Epochs must be a whole number from 1 to 1000.';
  if (!isInt(f.patience) || f.patience < 0) e.patience = 'Patience must be a whole number ≥ 0 (0 turns early stopping off).';
  if (!isInt(f.seed) || f.seed < 0) e.seed = 'Seed must be a whole number ≥ 0.';
  if (!isInt(f.replicates) || f.replicates < 1 || f.replicates > 20) e.replicates = 'Replicates must be from 1 to 20.';
  if (f.limitTrain !== null && (!isInt(f.limitTrain) || f.limitTrain < 1)) e.limitTrain = 'Limit must be a positive whole number, or empty for the whole split.';
  const base = baseLayers(f, weights);
  if (!isInt(f.hidden) || f.hidden < 0 || f.hidden > HIDDEN_MAX) e.hidden = `Hidden units must be a whole number from 0 to ${HIDDEN_MAX} (0 = no hidden layer).`;
  if (!isInt(f.freeze) || f.freeze < 0) e.freeze = 'Frozen layers must be a whole number ≥ 0.';
  else if (base && f.freeze > base.count) {
    e.freeze = `${f.model}'s pretrained base has ${base.count} layers (${base.variant} naming): freeze at most ${base.count}; ${base.count} freezes the whole base.`;
  }
  if (!isInt(f.inputSize) || f.inputSize < 32 || f.inputSize > 256) e.inputSize = 'Input size must be from 32 to 256 pixels.';
  if (f.schedule === 'step') {
    if (!isInt(f.stepEvery) || f.stepEvery < 1) e.stepEvery = 'Step interval must be a positive whole number of epochs.';
    if (!(f.stepGamma > 0 && f.stepGamma < 1)) e.stepGamma = 'Gamma must be between 0 and 1.';
  }
  if (f.schedule === 'plateau') {
    if (!isInt(f.plateauPatience) || f.plateauPatience < 1) e.plateauPatience = 'Plateau patience must be a positive whole number.';
    if (!(f.plateauFactor > 0 && f.plateauFactor < 1)) e.plateauFactor = 'Factor must be between 0 and 1.';
  }
  if ((f.schedule === 'cosine' || f.schedule === 'plateau') && !(f.minLr >= 0)) e.minLr = 'Minimum learning rate must be ≥ 0.';
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
    seed: f.seed,
    limitTrain: f.limitTrain,
    valSplit: f.valSplit === '' ? null : f.valSplit,
    inputSize: f.inputSize,
    channels: f.channels,
    augment: f.augment ? { flip: f.flip, rotation: f.rotation, zoom: f.zoom, shiftX: f.shiftX, shiftY: f.shiftY } : null,
    classWeights: f.classWeights,
    backend: f.backend === '' ? null : f.backend,
    weights: f.weights.trim() === '' ? null : f.weights.trim(),
    freeze: f.freeze,
    cacheFeatures: f.cacheFeatures,
    hidden: f.hidden,
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
  if (c.inputSize !== undefined) f.inputSize = c.inputSize;
  if (c.channels !== undefined) f.channels = c.channels;
  if (c.classWeights !== undefined) f.classWeights = c.classWeights;
  if (c.weights !== undefined) f.weights = c.weights ?? '';
  if (c.freeze !== undefined) f.freeze = c.freeze;
  if (c.cacheFeatures !== undefined) f.cacheFeatures = c.cacheFeatures;
  // Part of the architecture, not a preference: a preset without it means none (another preset's 256 must not stay).
  f.hidden = c.hidden ?? 0;
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
  if (c.schedule) {
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
