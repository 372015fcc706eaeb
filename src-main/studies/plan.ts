import { STUDY_MAX_MEMBERS, STUDY_PRESET_AXIS, type StudyAxis } from '../../src-shared/contract/studies';
import { trainConfigSchema, type TrainConfig } from '../../src-shared/contract/runs';
import { AppError } from '../../src-shared/errors';
import { MODEL_PRESETS } from '../engine/models/presets';

/**
 * The pseudo-field `preset`: an axis over the paper's setups. A member's config is the base with the preset's
 * settings over it (model, optimizer, rate, input size, schedule, augmentation …), then the other axes' values;
 * the base keeps what presets do not set (dataset, splits, seed, class weights, limitTrain). Table 2 is
 * preset × classWeights.
 */
export const PRESET_AXIS = STUDY_PRESET_AXIS;

/** One planned member: its config (base + this cell's axis values + the seed) and the cell itself. */
export interface PlannedMember {
  cell: Record<string, unknown>;
  seed: number;
  config: TrainConfig;
}

/** A copy of `config` with the dotted `field` set to `value`, creating objects on the way (augment may be null). */
function withField(config: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = field.split('.');
  if (!rest.length) return { ...config, [head!]: value };
  const inner = config[head!];
  return { ...config, [head!]: withField(inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {}, rest.join('.'), value) };
}

function checkAxes(axes: readonly StudyAxis[]): void {
  const topFields = Object.keys(trainConfigSchema.shape);
  const seen = new Set<string>();
  for (const a of axes) {
    const top = a.field.split('.')[0]!;
    if (a.field === 'seed') throw new AppError('INVALID_INPUT', 'axes: "seed" is not an axis; give the seeds as the study\'s seeds.');
    if (a.field === PRESET_AXIS) {
      const unknown = a.values.filter((v) => !MODEL_PRESETS.some((p) => p.id === v));
      if (unknown.length) throw new AppError('INVALID_INPUT', `axes: preset ${unknown.map((v) => JSON.stringify(v)).join(', ')} does not exist; presets are ${MODEL_PRESETS.map((p) => p.id).join(', ')}.`);
    }
    if (a.field !== PRESET_AXIS && !topFields.includes(top)) throw new AppError('INVALID_INPUT', `axes: "${a.field}" is not a config field; fields are ${topFields.join(', ')}.`);
    if (seen.has(a.field)) throw new AppError('INVALID_INPUT', `axes: "${a.field}" is given twice; put all its values in one axis.`);
    seen.add(a.field);
    const keys = a.values.map((v) => JSON.stringify(v));
    const twice = keys.find((k, i) => keys.indexOf(k) !== i);
    if (twice !== undefined) throw new AppError('INVALID_INPUT', `axes: "${a.field}" lists the value ${twice} twice.`);
  }
}

/**
 * The cross product base × axes × seeds, every member's config checked by the contract's schema (a value
 * out of range is refused naming its cell, before anything is stored). Cells in axis order, seeds innermost.
 */
export function planStudy(base: TrainConfig, axes: readonly StudyAxis[], seeds: readonly number[]): PlannedMember[] {
  checkAxes(axes);
  if (new Set(seeds).size !== seeds.length) throw new AppError('INVALID_INPUT', 'seeds: a seed is listed twice.');
  const size = axes.reduce((n, a) => n * a.values.length, 1) * seeds.length;
  if (size > STUDY_MAX_MEMBERS) throw new AppError('INVALID_INPUT', `The study would have ${size} members; at most ${STUDY_MAX_MEMBERS}. Drop a value or a seed.`);
  let cells: Record<string, unknown>[] = [{}];
  for (const a of axes) cells = cells.flatMap((c) => a.values.map((v) => ({ ...c, [a.field]: v })));
  return cells.flatMap((cell) =>
    seeds.map((seed) => {
      const preset = MODEL_PRESETS.find((p) => p.id === cell[PRESET_AXIS]);
      let raw: Record<string, unknown> = { ...base, ...(preset?.config ?? {}), seed };
      for (const [field, value] of Object.entries(cell)) if (field !== PRESET_AXIS) raw = withField(raw, field, value);
      const parsed = trainConfigSchema.safeParse(raw);
      if (!parsed.success) {
        const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        throw new AppError('INVALID_INPUT', `The member ${describeCell(cell)} has an invalid config: ${why}.`);
      }
      return { cell, seed, config: parsed.data };
    }),
  );
}

/** "classWeights=true, model=vgg16" (or "base" for a study without axes). */
export function describeCell(cell: Record<string, unknown>): string {
  const parts = Object.entries(cell).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : 'base';
}
