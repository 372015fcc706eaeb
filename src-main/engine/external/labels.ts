import { LABEL_PRESETS, type LabelPreset } from '../../../src-shared/contract/models';
import { AppError } from '../../../src-shared/errors';
import { EMOTIONS } from '../../../src-shared/labels';

/**
 * The model's outputs in order as FER2013 class names ('-' for one with none), checked against its width:
 * null means FER2013's own order and is allowed for a 7-way output only.
 */
export function resolveLabels(labels: readonly string[] | null, outputs: number): string[] {
  if (!labels) {
    if (outputs !== EMOTIONS.length) {
      throw new AppError(
        'INVALID_INPUT',
        `The model has ${outputs} outputs, not FER2013's 7: say which class each output is with labels (a preset: ${Object.keys(LABEL_PRESETS).join(', ')}; or a list in output order such as neutral,happy,surprise,sad,angry,disgust,fear,- where '-' drops an output).`,
      );
    }
    return [...EMOTIONS];
  }
  if (labels.length !== outputs) {
    throw new AppError('INVALID_INPUT', `labels names ${labels.length} outputs, but the model has ${outputs}.`);
  }
  for (const e of EMOTIONS) {
    const n = labels.filter((l) => l === e).length;
    if (n !== 1) throw new AppError('INVALID_INPUT', `labels must name each FER2013 class once; "${e}" appears ${n} times (${labels.join(',')}).`);
  }
  return [...labels];
}

/** outputMap[i] = the output that is FER2013 class i (predictProbs' option). */
export function outputMapOf(labels: readonly string[]): number[] {
  return EMOTIONS.map((e) => labels.indexOf(e));
}

/** `--labels` text: a preset name or a comma-separated list. */
export function parseLabelsArg(text: string): string[] {
  if (Object.hasOwn(LABEL_PRESETS, text)) return [...LABEL_PRESETS[text as LabelPreset]];
  return text.split(',').map((s) => s.trim().toLowerCase());
}
