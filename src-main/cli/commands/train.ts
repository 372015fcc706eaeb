import { BACKEND_NAMES } from '../../../src-shared/contract/system';
import { MODEL_PRESETS } from '../../engine/models/presets';
import { CliUsageError, numberOpt, stringOpt, type Command, type OptionValues } from '../command';
import { summaryLine, throwIfFailed, watchRuns } from './run-watch';

function onOff(values: OptionValues, name: string): boolean | undefined {
  const v = stringOpt(values, name);
  if (v === undefined) return undefined;
  if (['on', 'true', 'yes', '1'].includes(v)) return true;
  if (['off', 'false', 'no', '0'].includes(v)) return false;
  throw new CliUsageError(`--${name} must be on or off, got "${v}".`);
}

/** Flags → a TrainConfig input; the contract's schema validates it (ranges, names) exactly as for the UI. */
export function configFromFlags(values: OptionValues): Record<string, unknown> {
  const presetId = stringOpt(values, 'preset');
  const preset = presetId ? MODEL_PRESETS.find((p) => p.id === presetId) : undefined;
  if (presetId && !preset) throw new CliUsageError(`Unknown --preset "${presetId}": choose ${MODEL_PRESETS.map((p) => p.id).join(', ')}.`);
  const cfg: Record<string, unknown> = { ...(preset?.config ?? {}) };
  const set = (key: string, v: unknown) => {
    if (v !== undefined) cfg[key] = v;
  };
  set('dataset', stringOpt(values, 'dataset'));
  set('revision', stringOpt(values, 'revision'));
  set('model', stringOpt(values, 'model'));
  set('optimizer', stringOpt(values, 'optimizer'));
  set('lr', numberOpt(values, 'lr'));
  set('momentum', numberOpt(values, 'momentum'));
  set('batch', numberOpt(values, 'batch'));
  set('epochs', numberOpt(values, 'epochs'));
  set('patience', numberOpt(values, 'patience'));
  set('monitor', stringOpt(values, 'monitor'));
  set('seed', numberOpt(values, 'seed'));
  set('limitTrain', numberOpt(values, 'limit-train'));
  set('inputSize', numberOpt(values, 'input-size'));
  set('channels', numberOpt(values, 'channels'));
  set('classWeights', onOff(values, 'class-weights'));
  set('backend', stringOpt(values, 'backend'));
  set('weights', stringOpt(values, 'weights'));
  set('freeze', numberOpt(values, 'freeze'));
  set('cacheFeatures', onOff(values, 'cache-features'));
  set('hidden', numberOpt(values, 'hidden'));
  set('mixup', numberOpt(values, 'mixup'));
  set('labelSmoothing', numberOpt(values, 'label-smoothing'));
  set('ema', numberOpt(values, 'ema'));
  set('features', stringOpt(values, 'features'));
  set('initFrom', numberOpt(values, 'init-from'));
  set('notes', stringOpt(values, 'notes'));
  const val = stringOpt(values, 'val-split');
  if (val !== undefined) cfg.valSplit = val === 'none' ? null : val;
  const schedule = stringOpt(values, 'schedule');
  if (schedule !== undefined) cfg.schedule = { kind: schedule };
  const augment = onOff(values, 'augment');
  const augParts = { rotation: numberOpt(values, 'rotation'), zoom: numberOpt(values, 'zoom'), shiftX: numberOpt(values, 'shift'), shiftY: numberOpt(values, 'shift'), flip: onOff(values, 'flip') };
  const anyPart = Object.values(augParts).some((v) => v !== undefined);
  if (augment === false) cfg.augment = null;
  else if (augment === true || anyPart) {
    // The paper's augmentation (§4.1) unless a range is given.
    const base = (cfg.augment as Record<string, unknown> | null | undefined) ?? {};
    cfg.augment = { ...base, ...Object.fromEntries(Object.entries(augParts).filter(([, v]) => v !== undefined)) };
  }
  return cfg;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train a model on a dataset in a background process, with live progress',
  usage: [
    'fer train --dataset NAME [--revision ID|NAME] --model baseline --epochs N [--batch 64] [--lr 0.001] [--optimizer adam|sgd] [--momentum 0.9]',
    '          [--schedule constant|step|cosine|plateau] [--patience N] [--monitor valLoss|valAcc] [--augment on|off] [--rotation DEG] [--zoom F] [--shift F]',
    `          [--flip on|off] [--class-weights on|off] [--seed N] [--backend ${BACKEND_NAMES.join('|')}]`,
    '          [--input-size PX] [--channels 1|3] [--weights ID|NAME|FILE] [--freeze N] [--cache-features on|off] [--hidden UNITS] [--features final|multilevel|grid]',
    '          [--init-from RUN] [--mixup ALPHA] [--label-smoothing EPS] [--ema DECAY]',
    '          [--limit-train N] [--val-split PublicTest|PrivateTest|none] [--replicates N | --folds K] [--preset ID] [--name TEXT] [--json]',
    "  --init-from RUN: start from that run's best weights (same model, features, input size, channels, hidden; freeze, lr and the rest may differ).",
    '  --folds K: k-fold cross-validation over the training split: K runs, run i holding out fold i (evaluate each with fer eval RUN --split Training --held-out).',
  ].join('\n'),
  options: {
    dataset: { type: 'string' },
    revision: { type: 'string' },
    model: { type: 'string' },
    preset: { type: 'string' },
    optimizer: { type: 'string' },
    lr: { type: 'string' },
    momentum: { type: 'string' },
    batch: { type: 'string' },
    epochs: { type: 'string' },
    patience: { type: 'string' },
    monitor: { type: 'string' },
    schedule: { type: 'string' },
    seed: { type: 'string' },
    augment: { type: 'string' },
    rotation: { type: 'string' },
    zoom: { type: 'string' },
    shift: { type: 'string' },
    flip: { type: 'string' },
    'class-weights': { type: 'string' },
    backend: { type: 'string' },
    'limit-train': { type: 'string' },
    'input-size': { type: 'string' },
    channels: { type: 'string' },
    'val-split': { type: 'string' },
    weights: { type: 'string' },
    freeze: { type: 'string' },
    'cache-features': { type: 'string' },
    hidden: { type: 'string' },
    mixup: { type: 'string' },
    'label-smoothing': { type: 'string' },
    ema: { type: 'string' },
    features: { type: 'string' },
    'init-from': { type: 'string' },
    notes: { type: 'string' },
    replicates: { type: 'string' },
    folds: { type: 'string' },
    name: { type: 'string' },
    // Training always runs to the end in the foreground: the trainer is this process's child.
    wait: { type: 'boolean', default: true },
  },
  async run(ctx, _positionals, values) {
    const config = configFromFlags(values);
    if (config.dataset === undefined) throw new CliUsageError('--dataset NAME is required (`fer datasets` lists them).');
    const replicates = numberOpt(values, 'replicates') ?? 1;
    const folds = numberOpt(values, 'folds');
    const name = stringOpt(values, 'name');
    const created = await ctx.callUnchecked('runs.create', { config, replicates, ...(folds === undefined ? {} : { folds }), ...(name ? { name } : {}) });
    ctx.note(`queued run${created.length > 1 ? 's' : ''} ${created.map((r) => r.id).join(', ')}`);
    const runs = await watchRuns(ctx, created.map((r) => r.id));
    for (const r of runs) ctx.print(summaryLine(r));
    throwIfFailed(runs);
    return runs;
  },
};
