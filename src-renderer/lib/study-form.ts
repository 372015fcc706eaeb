import {
  STUDY_MAX_AXES,
  STUDY_MAX_MEMBERS,
  STUDY_MAX_SEEDS,
  STUDY_MAX_TEXT,
  STUDY_MAX_VALUES,
  STUDY_PRESET_AXIS,
  TTA_VIEWS_MAX,
  augmentSchema,
  studiesInvoke,
  trainConfigSchema,
  type InvokeArgs,
  type StudyAxis,
} from '../../src-shared/contract';
import { fieldIssues } from '../../src-shared/errors';
import { toConfig, validate, type RunForm } from './run-form';
import type { Split } from '../../src-shared/labels';

/**
 * The Studies view's create form as plain data (no runes, testable in Node): the base config is a RunForm
 * (run-form.ts, seeded from a model preset), the axes and seeds are text the user types, parsed here.
 */
export interface AxisInput {
  field: string;
  /** Comma-separated: numbers, true/false, null, or text ("quoted" to keep e.g. "1" as text). */
  values: string;
}

export interface StudyForm {
  name: string;
  axes: AxisInput[];
  /** Comma-separated whole numbers. */
  seeds: string;
  paused: boolean;
  /** Evaluate each member on this split as it finishes ('' = by hand), with this many TTA views (+ the mirror). */
  evaluateSplit: Split | '';
  evaluateTta: number;
  /** Show the paper's Table 2 numbers beside the measured ones. */
  reference: boolean;
  /** Leave out members that cannot run here (listed with why) instead of refusing the study. */
  leaveOut: boolean;
  /** An ensemble of each cell's best seed once every member is evaluated: '' = none. */
  ensemble: '' | 'soft' | 'hard';
}

type AxisValue = StudyAxis['values'][number];

/**
 * Fields an axis can vary, from the contract's TrainConfig keys. Left out: seed (the study's seeds are the
 * replicates; the service refuses it as an axis), notes, and the object-valued schedule, augment and fold, whose
 * values an axis cannot spell; augmentation is varied per setting instead (augment.rotation, …), and fold runs
 * are queued by runs.create's `folds`.
 */
const NOT_AXES = new Set(['seed', 'notes', 'schedule', 'augment', 'fold']);
export const AXIS_FIELDS: readonly string[] = [
  STUDY_PRESET_AXIS,
  ...Object.keys(trainConfigSchema.shape).filter((k) => !NOT_AXES.has(k)),
  ...Object.keys(augmentSchema.shape).map((k) => `augment.${k}`),
];

/** The contract's default seeds ([1]), as the form's text. */
export function defaultSeeds(): string {
  return studiesInvoke['studies.create'].args.shape.seeds.parse(undefined).join(', ');
}

export function defaultStudyForm(): StudyForm {
  return {
    name: '',
    axes: [{ field: 'classWeights', values: 'false, true' }],
    seeds: defaultSeeds(),
    paused: false,
    // The paper reports PrivateTest; members are scored on it as they finish unless the user turns it off.
    evaluateSplit: 'PrivateTest',
    evaluateTta: 0,
    reference: false,
    leaveOut: false,
    ensemble: '',
  };
}

/**
 * "Reproduce Table 2": the paper's setups (the presets) × class weights off/on, evaluated on PrivateTest, beside
 * the paper's numbers; a setup that cannot run here (no imported weights) is left out and listed with why.
 */
export function table2Form(f: StudyForm): void {
  if (!f.name.trim()) f.name = 'Table 2';
  f.axes = [
    { field: STUDY_PRESET_AXIS, values: 'baseline, resnet50, senet50, vgg16' },
    { field: 'classWeights', values: 'false, true' },
  ];
  f.evaluateSplit = 'PrivateTest';
  f.reference = true;
  f.leaveOut = true;
  f.ensemble = 'soft';
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** One typed value: true/false/null and numbers as themselves, "quoted" as JSON text, anything else as text. */
function parseValue(raw: string): AxisValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (NUMBER.test(raw)) return Number(raw);
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) return raw.slice(1, -1);
  return raw;
}

/** "0.001, 1e-4" → [0.001, 0.0001]; an error says which value is wrong and why. */
export function parseAxisValues(text: string): { values: AxisValue[] } | { error: string } {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 1 && parts[0] === '') return { error: 'Give at least one value.' };
  const empty = parts.findIndex((p) => p === '');
  if (empty >= 0) return { error: `Value ${empty + 1} is empty: remove the extra comma.` };
  if (parts.length > STUDY_MAX_VALUES) return { error: `At most ${STUDY_MAX_VALUES} values per axis (${parts.length} given).` };
  const values = parts.map(parseValue);
  const long = values.find((v) => typeof v === 'string' && v.length > STUDY_MAX_TEXT);
  if (long !== undefined) return { error: `A value is longer than ${STUDY_MAX_TEXT} characters.` };
  const keys = values.map((v) => JSON.stringify(v));
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) return { error: `The value ${twice} is listed twice.` };
  return { values };
}

/** "1, 2, 3" → [1, 2, 3]: whole numbers ≥ 0, none twice, at most STUDY_MAX_SEEDS. */
export function parseSeeds(text: string): { seeds: number[] } | { error: string } {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.length) return { error: 'Give at least one seed.' };
  if (parts.length > STUDY_MAX_SEEDS) return { error: `At most ${STUDY_MAX_SEEDS} seeds (${parts.length} given).` };
  const bad = parts.find((p) => !/^\d+$/.test(p));
  if (bad !== undefined) return { error: `Seed "${bad}" is not a whole number ≥ 0.` };
  const seeds = parts.map(Number);
  if (new Set(seeds).size !== seeds.length) return { error: 'A seed is listed twice.' };
  return { seeds };
}

/** Members the form would queue: the axes' value counts multiplied, times the seeds (null while unparsable). */
export function memberCount(f: StudyForm): number | null {
  const seeds = parseSeeds(f.seeds);
  if ('error' in seeds) return null;
  let n = seeds.seeds.length;
  for (const a of f.axes) {
    const v = parseAxisValues(a.values);
    if ('error' in v) return null;
    n *= v.values.length;
  }
  return n;
}

/**
 * Checks before a round trip, keyed by field: name, seeds, axes, members, axis-<i>-field, axis-<i>-values,
 * and the base's own keys from run-form's validate (dataset, epochs, …). The service checks every member's config.
 */
export function validateStudy(f: StudyForm, base: RunForm): Record<string, string> {
  const e: Record<string, string> = { ...validate(base) };
  if (!f.name.trim()) e.name = 'Give the study a name.';
  else if (f.name.trim().length > 200) e.name = 'The name is longer than 200 characters.';
  const seeds = parseSeeds(f.seeds);
  if ('error' in seeds) e.seeds = seeds.error;
  if (f.axes.length > STUDY_MAX_AXES) e.axes = `At most ${STUDY_MAX_AXES} axes.`;
  f.axes.forEach((a, i) => {
    if (!AXIS_FIELDS.includes(a.field)) e[`axis-${i}-field`] = 'Choose a config field.';
    else if (f.axes.findIndex((b) => b.field === a.field) !== i) e[`axis-${i}-field`] = `"${a.field}" is already an axis; put all its values in one.`;
    const v = parseAxisValues(a.values);
    if ('error' in v) e[`axis-${i}-values`] = v.error;
  });
  if (!Number.isInteger(f.evaluateTta) || f.evaluateTta < 0 || f.evaluateTta > TTA_VIEWS_MAX) e.evaluateTta = `TTA views must be a whole number from 0 to ${TTA_VIEWS_MAX}.`;
  const n = memberCount(f);
  if (n !== null && n > STUDY_MAX_MEMBERS) e.members = `That is ${n} members; a study may have at most ${STUDY_MAX_MEMBERS}. Drop a value or a seed.`;
  return e;
}

/** The studies.create arguments; call only once validateStudy found nothing. */
export function toStudyArgs(f: StudyForm, base: RunForm): InvokeArgs<'studies.create'> {
  const seeds = parseSeeds(f.seeds);
  return {
    name: f.name.trim(),
    base: toConfig(base),
    axes: f.axes.map((a) => {
      const v = parseAxisValues(a.values);
      return { field: a.field, values: 'error' in v ? [] : v.values };
    }),
    seeds: 'error' in seeds ? [] : seeds.seeds,
    paused: f.paused,
    evaluate: f.evaluateSplit === '' ? null : { split: f.evaluateSplit, tta: f.evaluateTta },
    reference: f.reference ? 'paper-table-2' : null,
    leaveOutUnrunnable: f.leaveOut,
    ensemble: f.ensemble === '' ? null : f.ensemble,
  };
}

/**
 * The fields the contract's BAD_ARGS names ("base.epochs", "axes.0.values.2") as the form's keys, so each message
 * shows next to its input; anything else stays in the note under the form.
 */
export function studyFieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  // Read as the envelope's shape (a ContractError has it): importing the client here would tie this file to a window.
  const e = err as { code?: unknown; details?: unknown } | null;
  if (!e || typeof e !== 'object' || e.code !== 'BAD_ARGS') return out;
  for (const { field: path, message } of fieldIssues(e.details)) {
    const axis = /^axes\.(\d+)\.(field|values)/.exec(path);
    const key = path.startsWith('base.') ? path.slice(5).split('.')[0]! : axis ? `axis-${axis[1]}-${axis[2]}` : path.split('.')[0]!;
    out[key] ??= message;
  }
  return out;
}
