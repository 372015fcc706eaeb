import { z } from 'zod';
import { SPLITS, type Split } from '../labels';
import { invoke, returns } from './define';

export interface SplitCounts {
  split: Split;
  total: number;
  /** Indexed by emotion (see labels.ts). */
  perClass: number[];
}

export interface DatasetSummary {
  id: number;
  name: string;
  /** Where it came from: the CSV file or folder the user imported. */
  sourcePath: string;
  format: 'csv' | 'folders';
  createdAt: string;
  sampleCount: number;
  splits: SplitCounts[];
  /** Images that had to be resized or converted to 48×48 grayscale on import. */
  converted: number;
  /** Non-image files found and skipped on import. */
  skipped: number;
  /**
   * Only on the result of a folder import: folders where an emotion folder was expected but whose name is no
   * emotion (`train/contempt/`), with their file counts. They were not imported. Not stored with the dataset.
   */
  ignoredFolders?: IgnoredFolder[];
}

export interface IgnoredFolder {
  /** Relative to the imported folder, with forward slashes: `train/contempt`. */
  folder: string;
  files: number;
}

export interface DuplicateGroup {
  hash: string;
  sampleIds: number[];
  splits: Split[];
  labels: number[];
}

export interface DatasetStats {
  dataset: DatasetSummary;
  /** Per split: counts and share of each class (paper's Table 1 layout). */
  table: { split: Split; total: number; perClass: { count: number; share: number }[] }[];
  /** Inverse-frequency weights from the Training split: total / (classes × count). */
  classWeights: number[];
  duplicates: {
    groups: number;
    withinSplit: number;
    /** Groups whose members lie in more than one split (test images also in train). */
    crossSplit: number;
    conflictingLabels: number;
    examples: DuplicateGroup[];
  };
  /** Test faces with an exact or near copy in Training (what de-duplicated scores leave out). */
  trainCopies: TrainCopyReport;
}

export interface TrainCopyReport {
  /** The perceptual hash used (src-main/analysis/phash.ts). */
  algorithm: string;
  /** Hamming distance at or under which a face is a near copy. */
  threshold: number;
  /** Per test split: faces, those with a byte-identical Training copy, those with an exact or near one. */
  splits: { split: Split; total: number; exact: number; near: number }[];
  /** nearestDistances[d]: test faces whose nearest Training face is d bits away, d = 0..16. */
  nearestDistances: number[];
}

export interface SampleMeta {
  id: number;
  /** Row in the packed pixel file. */
  index: number;
  split: Split;
  label: number;
  source: string;
}

export interface SamplePage {
  total: number;
  offset: number;
  items: SampleMeta[];
  /** items.length × 2304 bytes of 48×48 grayscale, base64, in item order: one round trip for a whole grid. */
  pixelsBase64: string;
}

export interface ImportProgress {
  importId: string;
  name: string;
  phase: 'reading' | 'indexing' | 'committing' | 'done' | 'failed';
  done: number;
  total: number | null;
  rowsPerSec: number;
  message?: string;
}

/**
 * A dataset reference: its id (a number, or a string of digits, as typed on the command line) or its name.
 * Digits always mean an id (see resolveDataset), which is why a name may not be a number.
 */
const datasetRef = z.union([z.string().min(1), z.number().int().positive()]);

/** A new dataset's name. Refused: a number (it would read as an id) and control characters (tabs, newlines). */
export const datasetNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((s) => !/^\d+$/.test(s), 'A name that is a number would be confused with dataset ids: add a letter (e.g. "fer2013-1")')
  .refine((s) => !/\p{Cc}/u.test(s), 'A name may not contain control characters (tabs, newlines)');

/**
 * Splits: a CSV import keeps FER2013's Usage column (Training, PublicTest, PrivateTest). A folder import maps
 * train/ to Training, test/ to PrivateTest (PublicTest_* files to PublicTest) and val/ to PublicTest. The paper
 * validates on PublicTest, the default; a dataset without one gets its validation split from the training
 * config, carved from Training with `stratifiedSplit(labels, fraction, seed)` (src-main/data/split.ts).
 */
export const datasetsInvoke = {
  'datasets.list': invoke(z.strictObject({}), returns<DatasetSummary[]>()),
  'datasets.import': invoke(
    z.strictObject({ path: z.string().min(1), name: datasetNameSchema, importId: z.string().max(64).optional() }),
    returns<DatasetSummary>(),
  ),
  'datasets.stats': invoke(z.strictObject({ dataset: datasetRef }), returns<DatasetStats>()),
  'datasets.samples': invoke(
    z.strictObject({
      dataset: datasetRef,
      split: z.enum(SPLITS).optional(),
      label: z.number().int().min(0).max(6).optional(),
      ids: z.array(z.number().int().positive()).max(1000).optional(),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
    returns<SamplePage>(),
  ),
  'datasets.delete': invoke(z.strictObject({ dataset: datasetRef }), returns<{ deleted: true }>()),
  'datasets.synth': invoke(
    z.strictObject({
      out: z.string().min(1),
      format: z.enum(['csv', 'folders']),
      perClass: z.number().int().min(1).max(20000),
      seed: z.number().int().default(1),
    }),
    returns<{ path: string; counts: SplitCounts[] }>(),
  ),
};

export const datasetsEvents = {
  'import.progress': returns<ImportProgress>(),
};
