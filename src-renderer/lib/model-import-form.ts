import { EXTERNAL_SCALES, LABEL_PRESETS, externalPreprocessSchema, modelsInvoke, type ExternalScale, type InvokeArgs, type LabelPreset } from '../../src-shared/contract';

/**
 * The "Import a model" form in Runs as plain data (no runes, testable in Node): defaults, limits read from the
 * contract's schema, and the mapping to models.import's arguments. The contract's own parse is the validation,
 * so the form refuses exactly what the service would.
 */
export interface ModelImportForm {
  path: string;
  name: string;
  dataset: number | null;
  inputSize: number;
  channels: 1 | 3;
  scale: ExternalScale;
  /** Comma-separated numbers on the 0–255 scale, for 'meanstd'. */
  mean: string;
  std: string;
  /** A preset name, or 'custom' to use `customLabels`. */
  labels: LabelPreset | 'custom';
  customLabels: string;
}

const inputSize = externalPreprocessSchema.shape.inputSize;
export const INPUT_SIZE_LIMITS = { min: inputSize.minValue ?? 1, max: inputSize.maxValue ?? 512 };
export const SCALES = EXTERNAL_SCALES;
export const LABEL_CHOICES = [...(Object.keys(LABEL_PRESETS) as LabelPreset[]), 'custom'] as const;

export function defaultImportForm(): ModelImportForm {
  return { path: '', name: '', dataset: null, inputSize: 48, channels: 1, scale: 'unit', mean: '', std: '', labels: 'fer2013', customLabels: '' };
}

function numbers(text: string): number[] | null {
  const t = text.trim();
  return t === '' ? null : t.split(',').map((s) => Number(s.trim()));
}

export function toImportArgs(f: ModelImportForm): InvokeArgs<'models.import'> {
  const labels = f.labels === 'custom' ? f.customLabels.split(',').map((s) => s.trim().toLowerCase()) : [...LABEL_PRESETS[f.labels]];
  return {
    path: f.path.trim(),
    name: f.name.trim(),
    dataset: f.dataset ?? 0,
    preprocess: {
      inputSize: f.inputSize,
      channels: f.channels,
      scale: f.scale,
      mean: f.scale === 'meanstd' ? numbers(f.mean) : null,
      std: f.scale === 'meanstd' ? numbers(f.std) : null,
      labels: labels as never,
    },
  };
}

/** Field → message, from the contract's parse of what the form would send ({} when it would be accepted). */
export function validateImport(f: ModelImportForm): Record<string, string> {
  const errors: Record<string, string> = {};
  if (f.dataset === null) errors.dataset = 'Pick the dataset to evaluate it on.';
  const parsed = modelsInvoke['models.import'].args.safeParse(toImportArgs(f));
  for (const issue of parsed.error?.issues ?? []) {
    const path = issue.path.filter((p) => p !== 'preprocess');
    const key = path[0] === 'labels' ? 'labels' : String(path[0] ?? 'form');
    if (key === 'dataset' && f.dataset === null) continue;
    errors[key] ??= issue.message;
  }
  return errors;
}
