import { z } from 'zod';
import { DEDUP_LEVELS } from '../dedup';
import { NUM_CLASSES } from '../labels';
import { invoke, returns } from './define';
import { LABEL_ISSUE_RANKINGS, LABEL_ISSUES_LIMIT_MAX } from './label-issues';

/**
 * eval.contactSheet: one PNG grid of an evaluation's faces for a paper figure: a confusion cell's faces (as eval.cell
 * lists them) or the likely label issues (as eval.labelIssues ranks them), each with its labels and probability
 * under it, optionally with the cached saliency map over it.
 */
export const CONTACT_SHEET_OVERLAYS = ['none', 'hirescam', 'gradcam', 'gradient'] as const;
export type ContactSheetOverlay = (typeof CONTACT_SHEET_OVERLAYS)[number];
const CONTACT_SHEET_COLUMNS_MAX = 30;
const CONTACT_SHEET_SCALE_MAX = 8;

/** Where the faces of a sheet come from. */
const contactSheetSource = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('cell'),
    trueLabel: z.number().int().min(0).max(NUM_CLASSES - 1),
    predLabel: z.number().int().min(0).max(NUM_CLASSES - 1),
    dedup: z.enum(DEDUP_LEVELS).default('none'),
    crowd: z.enum(['all', 'disagree']).default('all'),
    offset: z.number().int().min(0).default(0),
  }),
  z.strictObject({ kind: z.literal('labelIssues'), rankBy: z.enum(LABEL_ISSUE_RANKINGS).default(LABEL_ISSUE_RANKINGS[0]) }),
]);

export interface ContactSheet {
  width: number;
  height: number;
  columns: number;
  rows: number;
  /** Side of each face on the sheet: 48 × scale. */
  faceSize: number;
  /** Where each face lies on the sheet (its top-left pixel), so a caller or a test can find it. */
  cells: { sampleId: number; x: number; y: number }[];
  /** The PNG itself. */
  pngBase64: string;
  /** Where it was written, when `path` was given. */
  path: string | null;
}

export const contactSheetInvoke = {
  'eval.contactSheet': invoke(
    z.strictObject({
      evaluationId: z.number().int().positive(),
      source: contactSheetSource,
      limit: z.number().int().min(1).max(LABEL_ISSUES_LIMIT_MAX).default(60),
      columns: z.number().int().min(1).max(CONTACT_SHEET_COLUMNS_MAX).default(10),
      /** Each 48×48 face is drawn scale× larger, pixel for pixel (no smoothing). */
      scale: z.number().int().min(1).max(CONTACT_SHEET_SCALE_MAX).default(2),
      overlay: z.enum(CONTACT_SHEET_OVERLAYS).default('none'),
      /** The overlay explains the predicted class or the true one (as eval.saliency). An ensemble's evaluation refuses an overlay: it has one map per member. */
      target: z.enum(['pred', 'true']).default('pred'),
      /** Also write the PNG here (atomically: a failed write leaves no partial file). */
      path: z.string().min(1).optional(),
    }),
    returns<ContactSheet>(),
  ),
};
