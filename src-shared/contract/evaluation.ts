import { z } from 'zod';
import { DEDUP_LEVELS, type DedupLevel } from '../dedup';
import { SPLITS, type Split } from '../labels';
import { invoke, returns } from './define';
import type { FerPlusScores } from './ferplus';

export interface PerClassMetrics {
  label: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** One recorded TTA view: the affine map every face went through. */
export interface TtaViewSpec {
  name: string;
  flip: boolean;
  angle: number;
  scale: number;
  dx: number;
  dy: number;
}

export interface TtaSummary {
  /** K: augmented views besides the original and the mirror. */
  views: number;
  flip: boolean;
  /** Views averaged in all: 1 + (flip ? 1 : 0) + K. */
  totalViews: number;
  seed: number;
  rotation: number;
  zoom: number;
  shiftX: number;
  shiftY: number;
  viewSpecs: TtaViewSpec[];
}

export interface EvaluationSummary {
  id: number;
  runId: number | null;
  ensembleId: number | null;
  /** Human label: the run's name or the ensemble's. */
  name: string;
  datasetId: number;
  split: Split;
  checkpoint: string;
  /** Test-time augmentation used, or null for a plain evaluation (original view only). */
  tta: TtaSummary | null;
  accuracy: number;
  loss: number;
  macroF1: number;
  samples: number;
  createdAt: string;
  /**
   * The same scores with test faces that have a copy in Training left out (src-shared/dedup.ts), so a paper can
   * report both. Null on the Training split, and for a dataset whose faces were not checked yet.
   */
  dedup: DedupScores | null;
  /** The predictions scored against the FER+ crowd's majority label; null when the dataset has no FER+ layer. */
  ferplus: FerPlusScores | null;
}

/** Scores over the faces that remain once copies of Training faces are left out. */
export interface DedupScore {
  samples: number;
  /** Faces left out. */
  excluded: number;
  accuracy: number;
  macroF1: number;
}

export interface DedupScores {
  /** pHash Hamming distance (of 64 bits) at or under which a face counts as a near copy. */
  threshold: number;
  /** Without faces that have a byte-identical copy in Training. */
  exact: DedupScore;
  /** Without exact copies and near copies (pHash within `threshold`). */
  near: DedupScore;
}

export interface EvaluationDetail {
  evaluation: EvaluationSummary;
  /** Which faces perClass and confusion count: all ('none'), or the de-duplicated split at that level. */
  dedup: DedupLevel;
  perClass: PerClassMetrics[];
  /** confusion[true][pred] counts. */
  confusion: number[][];
}

export interface CellItem {
  sampleId: number;
  trueLabel: number;
  predLabel: number;
  confidence: number;
  probs: number[];
  /** FER+ crowd votes (10 counts, FERPLUS_CLASSES order) and their majority; null without a FER+ layer. */
  votes: number[] | null;
  crowdMajority: number | null;
}

export interface CellPage {
  total: number;
  offset: number;
  items: CellItem[];
  /** 48×48 grayscale of each item, base64, in item order. */
  pixelsBase64: string;
}

/** One model's saliency maps of some faces, in the page's item order. */
export interface SaliencyMapSet {
  /** The layer Grad-CAM and HiResCAM read: the last conv block's output. */
  layer: string;
  /** items.length × 2,304 bytes each (48×48, 0–255, each face scaled to its own maximum), base64, in item order. */
  gradcamBase64: string;
  hirescamBase64: string;
  gradientBase64: string;
}

/** An ensemble member's maps of the page's faces, for the ensemble's target classes. */
export interface SaliencyMember extends SaliencyMapSet {
  /** The member's own evaluation (its run and checkpoint); its maps are cached under it. */
  evaluationId: number;
  runId: number;
  name: string;
  weight: number;
  /** The member's own probability of each face's target class, in item order. */
  probs: number[];
}

/**
 * Saliency maps of some faces of an evaluation, for one target class each. A single model's evaluation has one
 * set of maps; an ensemble's has one per member (each member explains the same class: the ensemble's prediction,
 * or the true label), since an ensemble has no single network to take gradients through.
 */
export type SaliencyPage = {
  items: { sampleId: number; targetLabel: number }[];
  /** Faces computed by this call (counted once per model); the others came from the cache. */
  computed: number;
} & (({ kind: 'model' } & SaliencyMapSet) | { kind: 'ensemble'; members: SaliencyMember[] });

export interface CalibrationReport {
  evaluationId: number;
  ece: number;
  bins: { lower: number; upper: number; count: number; accuracy: number; confidence: number }[];
  perClass: { label: number; ece: number; bins: { lower: number; upper: number; count: number; accuracy: number; confidence: number }[] }[];
}

export interface RunDiff {
  a: EvaluationSummary;
  b: EvaluationSummary;
  /** b's confusion minus a's. */
  confusionDiff: number[][];
  /** Right in b, wrong in a, and the reverse. */
  fixed: number[];
  broken: number[];
  /** b = right in a only, c = right in b only; pValue is the exact binomial one. */
  mcnemar: { b: number; c: number; statistic: number; pValue: number; pValueExact: number; pValueChiSquare: number };
}

export interface EnsembleMember {
  evaluationId: number;
  runId: number | null;
  name: string;
  seed: number | null;
  weight: number;
  accuracy: number;
  loss: number;
}

export interface EnsembleInfo {
  id: number;
  name: string;
  vote: 'soft' | 'hard';
  members: EnsembleMember[];
  /** The member with the highest accuracy (lowest loss on a tie): what the ensemble must beat. */
  bestMemberEvaluationId: number;
  /** Sample ids the ensemble gets right and its best member got wrong, and the reverse. */
  fixed: number[];
  broken: number[];
  /**
   * k for an out-of-fold evaluation (eval.outOfFold): no vote, each face is predicted by the one member (a fold run's
   * held-out evaluation) that holds it, so nothing is fixed or broken. null for a voting ensemble.
   */
  outOfFold: number | null;
}

/** An ensemble's evaluation, with who is in it and what it changed against its best member. */
export interface EnsembleSummary extends EvaluationSummary {
  ensemble: EnsembleInfo;
}

export interface CompareRow {
  key: string;
  label: string;
  kind: 'run' | 'ensemble' | 'group';
  runIds: number[];
  seeds: number[];
  /** Runs evaluated with the table's setting (the ones the numbers are over). */
  n: number;
  /** Selected runs of this row with no evaluation of the table's setting: not in n, not in the numbers. */
  missingRunIds: number[];
  /** Metric name → mean and std (std 0 and n=1 for a single run). */
  values: Record<string, { mean: number; std: number } | string | null>;
}

/**
 * Which stored evaluation of a run a table takes: the split (null: any, the split column then says which),
 * the TTA setting and the checkpoint. A run without one of exactly this setting is missing, never replaced.
 */
export interface EvalSetting {
  split: Split | null;
  /** K augmented views besides the original (and the mirror when ttaFlip). */
  tta: number;
  ttaFlip: boolean;
  /** Views averaged in all: 1 + (ttaFlip ? 1 : 0) + tta. */
  totalViews: number;
  checkpoint: 'best' | 'last';
}

export interface CompareTable {
  columns: string[];
  rows: CompareRow[];
  groupBy: string | null;
  split: Split | null;
  setting: EvalSetting;
  /** Selected runs with no evaluation of this setting: their rows are empty (n = 0) or leave them out of the group. */
  missing: { runId: number; label: string }[];
}

/** The views an evaluation averaged, in words: 'plain (1 view)', 'TTA 2 views (flip)', 'TTA 9 views (flip + 7 augmented)'. */
export function viewsText(totalViews: number, flip: boolean, augmented: number): string {
  if (totalViews === 1) return 'plain (1 view)';
  return `TTA ${totalViews} views (${[flip ? 'flip' : null, augmented ? `${augmented} augmented` : null].filter(Boolean).join(' + ')})`;
}

/** A compare request's setting as one line: 'PrivateTest, plain (1 view), best checkpoint'. */
export function describeSetting(s: EvalSetting): string {
  return `${s.split ?? 'any split'}, ${viewsText(s.totalViews, s.ttaFlip, s.tta)}, ${s.checkpoint} checkpoint`;
}

export const COMPARE_METRICS = ['accuracy', 'dedupAccuracy', 'nearDedupAccuracy', 'loss', 'macroF1', 'bestEpoch', 'trainSeconds', 'backend'] as const;
/** Besides COMPARE_METRICS a column may be ece, model, split, tta, or per class: recall.sad, precision.fear, f1.happy. */

/** The most augmented TTA views an evaluation may average (besides the original and the mirror). */
export const TTA_VIEWS_MAX = 32;

/**
 * Whether an evaluation setting includes the mirrored view: as asked, else on once there are augmented views. The
 * one rule for eval.run, the tables' settings and the forms; asked for alone (tta 0) it is flip TTA, 2 views.
 */
export function withMirror(tta: number, ttaFlip: boolean | null | undefined): boolean {
  return ttaFlip ?? tta > 0;
}
/** K augmented TTA views (0–32). The paper used 7 plus the mirror. */
export const ttaViewsSchema = z.number().int().min(0).max(TTA_VIEWS_MAX).default(0);
export const checkpointSchema = z.enum(['best', 'last']).default('best');

export const compareArgs = z.strictObject({
  runIds: z.array(z.number().int().positive()).default([]),
  ensembleIds: z.array(z.number().int().positive()).default([]),
  groupBy: z.string().max(100).nullable().default(null),
  split: z.enum(SPLITS).nullable().default(null),
  columns: z.array(z.string().max(50)).max(40).optional(),
  /** The evaluation setting rows are chosen by; the defaults are a plain evaluation of the best checkpoint. */
  tta: ttaViewsSchema,
  /** The mirrored view; defaults to on when tta > 0, as eval.run does. */
  ttaFlip: z.boolean().optional(),
  checkpoint: checkpointSchema,
});

export const evaluationInvoke = {
  'eval.run': invoke(
    z.strictObject({
      runId: z.number().int().positive(),
      split: z.enum(SPLITS),
      checkpoint: checkpointSchema,
      tta: ttaViewsSchema,
      /** Add the mirrored face as a view; defaults to on when tta > 0. */
      ttaFlip: z.boolean().optional(),
      ttaSeed: z.number().int().min(0).default(0),
      /** Faces per forward pass; by default 128 at 48×48 and 16 for the large transfer inputs. */
      batch: z.number().int().min(1).max(4096).optional(),
      /**
       * Only the faces a k-fold run held out (config.fold), on its training split: out-of-sample probabilities
       * for confident learning (`eval.labelIssues` gives them no in-sample warning).
       */
      heldOut: z.boolean().optional(),
    }),
    returns<EvaluationSummary>(),
  ),
  'eval.list': invoke(z.strictObject({ runId: z.number().int().positive().optional() }), returns<EvaluationSummary[]>()),
  'eval.get': invoke(
    z.strictObject({
      evaluationId: z.number().int().positive(),
      /** Leave out test faces with an exact ('exact') or also a near ('near') copy in Training. */
      dedup: z.enum(DEDUP_LEVELS).default('none'),
    }),
    returns<EvaluationDetail>(),
  ),
  'eval.epochConfusions': invoke(
    z.strictObject({ runId: z.number().int().positive() }),
    returns<{ epoch: number; split: Split; confusion: number[][] }[]>(),
  ),
  'eval.cell': invoke(
    z.strictObject({
      evaluationId: z.number().int().positive(),
      trueLabel: z.number().int().min(0).max(6),
      predLabel: z.number().int().min(0).max(6),
      /** Only the faces the de-duplicated split at this level keeps (as eval.get's confusion at that level). */
      dedup: z.enum(DEDUP_LEVELS).default('none'),
      /** 'disagree': only faces whose FER+ majority (mapped to FER2013's classes) differs from their label. */
      crowd: z.enum(['all', 'disagree']).default('all'),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(60),
    }),
    returns<CellPage>(),
  ),
  'eval.sampleProbs': invoke(
    z.strictObject({ evaluationId: z.number().int().positive(), sampleIds: z.array(z.number().int().positive()).max(500) }),
    returns<{ sampleId: number; predLabel: number; probs: number[] }[]>(),
  ),
  'eval.saliency': invoke(
    z.strictObject({
      evaluationId: z.number().int().positive(),
      /** The faces on screen (a cell review page). */
      sampleIds: z.array(z.number().int().positive()).min(1).max(60),
      /** Explain the predicted class or the true one. */
      target: z.enum(['pred', 'true']).default('pred'),
    }),
    returns<SaliencyPage>(),
  ),
  'eval.calibration': invoke(
    z.strictObject({ evaluationId: z.number().int().positive(), bins: z.number().int().min(2).max(50).default(10) }),
    returns<CalibrationReport>(),
  ),
  'eval.diff': invoke(z.strictObject({ a: z.number().int().positive(), b: z.number().int().positive() }), returns<RunDiff>()),
  'ensembles.create': invoke(
    z.strictObject({
      evaluationIds: z.array(z.number().int().positive()).min(2),
      vote: z.enum(['soft', 'hard']).default('soft'),
      weights: z.array(z.number().min(0)).optional(),
      name: z.string().max(200).optional(),
    }),
    returns<EnsembleSummary>(),
  ),
  'ensembles.get': invoke(z.strictObject({ ensembleId: z.number().int().positive() }), returns<EnsembleSummary>()),
  /**
   * k-fold cross-validation's out-of-fold evaluation: each run of `runId`'s fold group evaluated on the faces it held
   * out, combined into one evaluation of the training split (stored as an ensemble with `outOfFold` set).
   */
  'eval.outOfFold': invoke(z.strictObject({ runId: z.number().int().positive(), checkpoint: checkpointSchema, name: z.string().max(200).optional() }), returns<EnsembleSummary>()),
  'ensembles.list': invoke(z.strictObject({}), returns<EnsembleSummary[]>()),
  'compare.table': invoke(compareArgs, returns<CompareTable>()),
  'compare.export': invoke(
    compareArgs.extend({ format: z.enum(['csv', 'md', 'latex']), path: z.string().min(1).optional() }),
    returns<{ text: string; path: string | null }>(),
  ),
  /**
   * Evaluates, one after another through eval.run, the selected runs that have no evaluation of the table's
   * setting (the split must be named). Stops at the first cancel; a failing run is reported and the rest go on.
   */
  'compare.evaluateMissing': invoke(
    compareArgs.extend({ ttaSeed: z.number().int().min(0).default(0), batch: z.number().int().min(1).max(4096).optional() }),
    returns<{ evaluated: EvaluationSummary[]; failed: { runId: number; code: string; message: string }[]; cancelled: boolean }>(),
  ),
  /** Stops the running evaluations (of one run, or all): nothing of them is stored. */
  'eval.cancel': invoke(z.strictObject({ runId: z.number().int().positive().optional() }), returns<{ cancelled: number }>()),
};

export const evaluationEvents = {
  'eval.progress': returns<{ runId: number | null; done: number; total: number; phase: string }>(),
};
