import { z } from 'zod';
import { NUM_CLASSES, type Split } from '../labels';
import { invoke, returns } from './define';

/**
 * Dataset revisions (issue 17): relabel or exclude faces of an imported dataset without touching the import. A
 * run trains on a revision when its config names it (`revision`); evaluations keep scoring against the import's
 * labels. Names are unique across datasets, so a name alone finds a revision (digits always mean an id).
 */

/** The most changes one call may add or remove: a label-issues page is at most 500 faces. */
export const REVISION_CHANGES_MAX = 5000;

export interface RevisionSummary {
  id: number;
  datasetId: number;
  datasetName: string;
  name: string;
  note: string;
  createdAt: string;
  relabelled: number;
  excluded: number;
  /** Runs whose config trains on this revision: while any exist, its changes are frozen and it cannot be deleted. */
  usedByRuns: number[];
}

export interface RevisionChange {
  sampleId: number;
  split: Split;
  kind: 'relabel' | 'exclude';
  /** The import's label. */
  oldLabel: number;
  /** null for an exclusion. */
  newLabel: number | null;
  reason: string;
  evaluationId: number | null;
  createdAt: string;
}

export interface RevisionDiff {
  revision: RevisionSummary;
  /** Per split, faces per class in the import (before) and as a run on the revision trains on them (after). */
  splits: { split: Split; before: number[]; after: number[]; totalBefore: number; totalAfter: number }[];
  /** Every change, by split then sample id. */
  changes: RevisionChange[];
}

/** A revision by id (a number, or digits as typed on the command line) or by name. */
const revisionRef = z.union([z.string().trim().min(1), z.number().int().positive()]);
const datasetRef = z.union([z.string().min(1), z.number().int().positive()]);

export const revisionNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((s) => !/^\d+$/.test(s), 'A revision name that is a number would be confused with revision ids: add a letter (e.g. "clean-1")')
  .refine((s) => !/\p{Cc}/u.test(s), 'A name may not contain control characters (tabs, newlines)');

const labelSchema = z.number().int().min(0).max(NUM_CLASSES - 1);
const provenance = {
  /** Why, in words (the UI and CLI write where the change came from). */
  reason: z.string().max(500).default(''),
  /** The evaluation whose label issues suggested it. */
  evaluationId: z.number().int().positive().nullable().default(null),
};
const revisionChangeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('relabel'), sampleId: z.number().int().positive(), newLabel: labelSchema, ...provenance }),
  z.strictObject({ kind: z.literal('exclude'), sampleId: z.number().int().positive(), ...provenance }),
]);
export type RevisionChangeInput = z.input<typeof revisionChangeSchema>;

export const revisionsInvoke = {
  'revisions.create': invoke(
    z.strictObject({
      dataset: datasetRef,
      name: revisionNameSchema,
      note: z.string().max(2000).default(''),
      /**
       * Start from a copy of another revision's changes (of the same dataset): how a frozen revision (one a run trained
       * on) is carried on.
       */
      from: revisionRef.optional(),
      /** Its first changes (after `from`'s), stored with it or not at all. */
      changes: z.array(revisionChangeSchema).max(REVISION_CHANGES_MAX).default([]),
    }),
    returns<RevisionSummary>(),
  ),
  /** All revisions, or one dataset's. */
  'revisions.list': invoke(z.strictObject({ dataset: datasetRef.optional() }), returns<RevisionSummary[]>()),
  /** All or nothing: one bad change (unknown face, another dataset's face, a face already changed) stores none. */
  'revisions.addChanges': invoke(
    z.strictObject({ revision: revisionRef, changes: z.array(revisionChangeSchema).min(1).max(REVISION_CHANGES_MAX) }),
    returns<RevisionSummary>(),
  ),
  'revisions.removeChanges': invoke(
    z.strictObject({ revision: revisionRef, sampleIds: z.array(z.number().int().positive()).min(1).max(REVISION_CHANGES_MAX) }),
    returns<RevisionSummary>(),
  ),
  'revisions.diff': invoke(z.strictObject({ revision: revisionRef }), returns<RevisionDiff>()),
  'revisions.delete': invoke(z.strictObject({ revision: revisionRef }), returns<{ deleted: true }>()),
};
