import { z } from 'zod';
import { invoke, returns } from './define';
import type { EvaluationSummary } from './evaluation';

/**
 * eval.labelIssues: faces whose FER2013 label is probably wrong, by confident learning over one stored
 * evaluation's probabilities (src-main/analysis/confident-learning.ts says how).
 */

/** 'self-confidence': p(given label), lowest first. 'margin': p(given) − the largest other p, lowest first. */
export const LABEL_ISSUE_RANKINGS = ['self-confidence', 'margin'] as const;
export type LabelIssueRanking = (typeof LABEL_ISSUE_RANKINGS)[number];
export const LABEL_ISSUES_LIMIT_MAX = 500;
export const LABEL_ISSUES_LIMIT_DEFAULT = 50;

export interface LabelIssueItem {
  sampleId: number;
  givenLabel: number;
  /** The most probable class other than the given one. */
  suggestedLabel: number;
  selfConfidence: number;
  margin: number;
  probs: number[];
  /** FER+ crowd votes (10 counts, FERPLUS_CLASSES order) and their majority; null without a FER+ layer. */
  votes: number[] | null;
  crowdMajority: number | null;
}

/** How often FER+'s majority (mapped to FER2013's classes) differs from the FER2013 label, among some faces. */
export interface CrowdRate {
  /** Faces with a FER2013-class majority (contempt, unknown and not-a-face left out). */
  withMajority: number;
  disagree: number;
}

export interface LabelIssuesReport {
  evaluation: EvaluationSummary;
  rankBy: LabelIssueRanking;
  /**
   * True when the model was trained on the evaluated faces (its probabilities are in-sample: it has fit these
   * labels, noise and all, so the method flags too few); null when that is unknown (a model trained elsewhere,
   * evaluated on Training).
   */
  inSample: boolean | null;
  /** Why the result should not be trusted as it stands; null when the probabilities are out-of-sample. */
  warning: string | null;
  /** Faces per given label. */
  labelCounts: number[];
  /** Per-class threshold t_j (mean p(j) over the faces labelled j); null for a class no face is labelled with. */
  thresholds: (number | null)[];
  /** confidentJoint[given][confident class]: raw counts, before calibration. */
  confidentJoint: number[][];
  /** Estimated faces labelled i that are really j (0 on the diagonal). */
  issuesPerCell: number[][];
  estimatedIssues: number;
  /** Faces flagged in all (the items are the first `limit` of them). */
  flagged: number;
  items: LabelIssueItem[];
  /** 48×48 grayscale of each item, base64, in item order. */
  pixelsBase64: string;
  /** The evidence: FER+ disagreement among the flagged faces against the unflagged ones; null without FER+ votes. */
  ferplus: { flagged: CrowdRate; unflagged: CrowdRate } | null;
}

export const labelIssuesInvoke = {
  'eval.labelIssues': invoke(
    z.strictObject({
      evaluationId: z.number().int().positive(),
      limit: z.number().int().min(1).max(LABEL_ISSUES_LIMIT_MAX).default(LABEL_ISSUES_LIMIT_DEFAULT),
      rankBy: z.enum(LABEL_ISSUE_RANKINGS).default(LABEL_ISSUE_RANKINGS[0]),
    }),
    returns<LabelIssuesReport>(),
  ),
};
