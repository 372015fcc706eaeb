import { z } from 'zod';
import { EMOTIONS } from '../labels';
import { invoke, returns } from './define';

/**
 * External models: classifiers trained elsewhere (Keras .h5 / .keras, tfjs layers or graph), imported with the preprocessing
 * they were trained with. Each becomes a completed run (model 'external') on one dataset, so evaluation,
 * cell review, compare, ensembles and exports use it as they use a trained run.
 */
export const EXTERNAL_SCALES = ['unit', 'minus1to1', 'raw255', 'meanstd'] as const;
export type ExternalScale = (typeof EXTERNAL_SCALES)[number];

/** keras3: a `.keras` archive; tfjs-graph: a converted TensorFlow graph, inference only. */
export const EXTERNAL_FORMATS = ['keras-h5', 'keras3', 'tfjs-layers', 'tfjs-graph'] as const;
export type ExternalFormat = (typeof EXTERNAL_FORMATS)[number];

/**
 * Output orders seen in published FER classifiers, each the model's outputs in order ('-' = an output with
 * no FER2013 class, dropped before renormalising):
 * - fer2013: the CSV's emotion column order;
 * - alphabetical: Keras flow_from_directory on the Kaggle image folders (classes sorted by folder name);
 * - ferplus: FER+'s 8 columns (neutral, happiness, surprise, sadness, anger, disgust, fear, contempt);
 * - affectnet: AffectNet's 8 (neutral, happy, sad, surprise, fear, disgust, anger, contempt).
 */
export const LABEL_PRESETS = {
  fer2013: [...EMOTIONS],
  alphabetical: ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'],
  ferplus: ['neutral', 'happy', 'surprise', 'sad', 'angry', 'disgust', 'fear', '-'],
  affectnet: ['neutral', 'happy', 'sad', 'surprise', 'fear', 'disgust', 'angry', '-'],
} as const satisfies Record<string, readonly string[]>;
export type LabelPreset = keyof typeof LABEL_PRESETS;

/** The input pipeline a model was trained with, declared at import and stored with it. */
export const externalPreprocessSchema = z.strictObject({
  /** Side of the square input the model takes; 48×48 faces are resized to it. */
  inputSize: z.number().int().min(8).max(512),
  channels: z.union([z.literal(1), z.literal(3)]),
  /** unit: x/255; minus1to1: x/127.5 − 1; raw255: x as 0–255; meanstd: (x − mean) / std, both on the 0–255 scale. */
  scale: z.enum(EXTERNAL_SCALES),
  mean: z.array(z.number()).min(1).max(3).nullable().default(null),
  std: z.array(z.number().positive()).min(1).max(3).nullable().default(null),
  /**
   * The model's outputs in order, as FER2013 class names ('-' for an output with no FER2013 class). Must name
   * each of the 7 classes exactly once. null: the fer2013 order, allowed only for a 7-way output.
   */
  labels: z.array(z.union([z.enum(EMOTIONS), z.literal('-')])).min(7).max(64).nullable().default(null),
});
export type ExternalPreprocessInput = z.input<typeof externalPreprocessSchema>;
export type ExternalPreprocess = z.output<typeof externalPreprocessSchema>;

export interface ExternalModelInfo {
  id: number;
  name: string;
  format: ExternalFormat;
  sourceFile: string;
  sha256: string;
  /** The stored tfjs layers copy. */
  path: string;
  preprocess: Omit<ExternalPreprocess, 'labels'> & { labels: string[] };
  params: number;
  /** The model's output width (before mapping to FER2013's 7 classes). */
  outputs: number;
  /** The completed run standing for this model on its dataset. */
  runId: number;
  datasetId: number;
  createdAt: string;
}

export const modelsInvoke = {
  /** Imports a Keras 2 .h5/.hdf5 full model, a Keras 3 .keras, or a tfjs layers or graph model.json; dry-runs it; stores it. */
  'models.import': invoke(
    z.strictObject({
      path: z.string().min(1).max(4096),
      name: z.string().min(1).max(200),
      dataset: z.union([z.string().min(1), z.number().int().positive()]),
      preprocess: externalPreprocessSchema,
    }),
    returns<ExternalModelInfo>(),
  ),
  'models.list': invoke(z.strictObject({}), returns<ExternalModelInfo[]>()),
};

export const modelsEvents = {};
