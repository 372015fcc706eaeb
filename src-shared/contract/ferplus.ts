import { z } from 'zod';
import type { Split } from '../labels';
import { invoke, returns } from './define';

/**
 * Microsoft FER+ (fer2013new.csv): 10 crowd votes per FER2013 face, in this column order. Its 7 emotions map
 * onto FER2013's classes; contempt has no FER2013 class, and unknown / NF (not a face) are no emotion.
 */
export const FERPLUS_CLASSES = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear', 'contempt', 'unknown', 'NF'] as const;
/** FER+ class index → FER2013 label (angry 0 … neutral 6), or null where FER2013 has no such class. */
export const FERPLUS_TO_FER2013: readonly (number | null)[] = [6, 3, 5, 4, 0, 1, 2, null, null, null];

export interface FerPlusLayer {
  datasetId: number;
  sourcePath: string;
  rows: number;
  importedAt: string;
  /** Faces per majority label (FERPLUS_CLASSES order; no clear majority counts as unknown). */
  majorityCounts: number[];
  /** Faces whose FER+ majority, mapped to FER2013's classes, differs from the dataset's label. */
  disagreeing: number;
  /** Faces with no FER2013-class majority (contempt, unknown or no majority, NF): left out of FER+ scores. */
  leftOut: { contempt: number; unknown: number; nonFace: number };
}

/** An evaluation scored against the FER+ majority label instead of FER2013's, on the faces that have one. */
export interface FerPlusScores {
  samples: number;
  accuracy: number;
  macroF1: number;
  /** Faces of the split left out: majority contempt, unknown (or no clear majority), not a face. */
  leftOut: { contempt: number; unknown: number; nonFace: number };
  /** Faces where FER+'s majority and FER2013's label differ. */
  disagreeing: number;
}

export interface SampleVotes {
  sampleId: number;
  split: Split;
  /** 10 counts in FERPLUS_CLASSES order. */
  votes: number[];
  /** The majority (FERPLUS_CLASSES index): more than half of the votes once single votes are dropped, else unknown. */
  majority: number;
}

const datasetRef = z.union([z.string().min(1), z.number().int().positive()]);

export const ferplusInvoke = {
  /** Adds (or replaces) a dataset's FER+ layer from fer2013new.csv, matched row by row; all or nothing. */
  'ferplus.import': invoke(z.strictObject({ path: z.string().min(1), dataset: datasetRef }), returns<FerPlusLayer & { replaced: boolean }>()),
  'ferplus.get': invoke(z.strictObject({ dataset: datasetRef }), returns<FerPlusLayer | null>()),
};

export const ferplusEvents = {};
