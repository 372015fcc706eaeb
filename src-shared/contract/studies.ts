import { z } from 'zod';
import { checkpointSchema, TTA_VIEWS_MAX, ttaViewsSchema } from './evaluation';
import { invoke, returns } from './define';
import { trainConfigSchema, type RunStatus, type TrainConfig } from './runs';
import { SPLITS } from '../labels';

/** Limits of a study's shape, named so the UI's form checks the same bounds as the contract. */
export const STUDY_MAX_AXES = 6;
export const STUDY_MAX_VALUES = 20;
export const STUDY_MAX_SEEDS = 20;
/** The longest string an axis value may be. */
export const STUDY_MAX_TEXT = 200;

/** An axis of a study: a config field (dotted for nested ones: augment.rotation) and the values it takes. */
export const studyAxisSchema = z.strictObject({
  field: z.string().min(1).max(100),
  values: z.array(z.union([z.string().max(STUDY_MAX_TEXT), z.number(), z.boolean(), z.null()])).min(1).max(STUDY_MAX_VALUES),
});
export type StudyAxis = z.output<typeof studyAxisSchema>;

/**
 * How a study evaluates each member as it finishes: the split, TTA views (with the mirror), checkpoint. The study's
 * table takes exactly this setting by default.
 */
export const studyEvaluateSchema = z.strictObject({
  split: z.enum(SPLITS).default('PrivateTest'),
  tta: ttaViewsSchema,
  ttaFlip: z.boolean().optional(),
  checkpoint: checkpointSchema,
});
export type StudyEvaluate = z.output<typeof studyEvaluateSchema>;

/** Reference numbers a study's table can show beside its own: the paper's Table 2 (src-shared/paper.ts). */
export const STUDY_REFERENCES = ['paper-table-2'] as const;
export type StudyReference = (typeof STUDY_REFERENCES)[number];

/**
 * The pseudo-field of an axis over the paper's setups (the model presets): a member's config is the base with the
 * preset's settings over it, then the other axes' values.
 */
export const STUDY_PRESET_AXIS = 'preset';

/**
 * What a study's table groups by: its axes, a preset axis as the model it sets (tables group by config fields,
 * and a member's config names its model, not the preset it came from).
 */
export function studyGroupBy(study: { axes: readonly StudyAxis[] }): string | null {
  const fields = study.axes.map((a) => (a.field === STUDY_PRESET_AXIS ? 'model' : a.field));
  return fields.length ? [...new Set(fields)].join(',') : null;
}

/** The most members one study may queue: axes' values multiplied, times the seeds. */
export const STUDY_MAX_MEMBERS = 200;

export interface StudyMember {
  runId: number;
  name: string;
  /** The axis values of this member: field → value. */
  cell: Record<string, unknown>;
  seed: number;
  status: RunStatus;
  error: string | null;
  /** The member's evaluation of the study's setting, once there is one. */
  evaluation: { id: number; accuracy: number } | null;
  /** Why its automatic evaluation failed, if it did. */
  evalError: string | null;
  /** Wall seconds its training took, once completed (the study's time-left figure scales from these). */
  trainSeconds: number | null;
}

export interface StudySummary {
  id: number;
  name: string;
  status: 'active' | 'paused';
  base: TrainConfig;
  axes: StudyAxis[];
  seeds: number[];
  createdAt: string;
  /** Evaluated automatically as members finish; null: members are evaluated by hand. */
  evaluate: StudyEvaluate | null;
  reference: StudyReference | null;
  /** Build an ensemble of the best member of each cell once every member is evaluated (soft or hard voting); null: none. */
  ensembleVote: 'soft' | 'hard' | null;
  /** That ensemble, once made (studies.ensemble, or automatically). */
  ensembleId: number | null;
  /** Planned members left out at creation because they cannot run here (leaveOutUnrunnable), with why. */
  leftOut: { cell: Record<string, unknown>; seed: number; reason: string }[];
  members: StudyMember[];
  /** Members per run status (queued, running, completed, …). */
  counts: Partial<Record<RunStatus, number>>;
}

export const studyRef = z.strictObject({ studyId: z.number().int().positive() });

/** A study's planned wall time: a few training batches timed per distinct setup, scaled to the members' epochs. */
export interface StudyEstimate {
  members: number;
  leftOut: StudySummary['leftOut'];
  groups: {
    /** model, input size, batch (and what else changes a batch's cost). */
    label: string;
    backend: string;
    secondsPerStep: number;
    members: number;
    /** Training batches a member runs at most (epochs × batches per epoch), validation counted as a third of a batch. */
    stepsPerMember: number;
    seconds: number;
  }[];
  /** Every member training all its epochs, one after another: early stopping ends many sooner. */
  totalSeconds: number;
}

const studyPlanArgs = z.strictObject({
  name: z.string().trim().min(1).max(200),
  base: trainConfigSchema,
  axes: z.array(studyAxisSchema).max(STUDY_MAX_AXES).default([]),
  seeds: z.array(z.number().int().min(0)).min(1).max(STUDY_MAX_SEEDS).default([1]),
  paused: z.boolean().default(false),
  evaluate: studyEvaluateSchema.nullable().default(null),
  reference: z.enum(STUDY_REFERENCES).nullable().default(null),
  /** Plan an ensemble of the best member of each cell (by validation accuracy), made once every member is evaluated. */
  ensemble: z.enum(['soft', 'hard']).nullable().default(null),
  /**
   * A member that cannot run here (its config is refused, or a transfer preset has no imported weights) is
   * left out and listed with why, instead of refusing the whole study. At least one member must remain.
   */
  leaveOutUnrunnable: z.boolean().default(false),
});

export const studiesInvoke = {
  /** Queues base × axes × seeds as ordinary runs linked to the study (or leaves them stopped when paused). */
  'studies.create': invoke(studyPlanArgs, returns<StudySummary>()),
  /**
   * How long the study would take here: the same plan as studies.create (nothing is stored), with a few training
   * batches timed per distinct setup on the backend it would train on, in the evaluation process.
   */
  'studies.estimate': invoke(studyPlanArgs.omit({ name: true, paused: true, evaluate: true, reference: true, ensemble: true }), returns<StudyEstimate>()),
  /**
   * The ensemble of the study's best member per cell (the seed with the best validation accuracy: selected on the
   * validation split, never on the test split), from their evaluations of the study's setting; the study's table
   * then shows it as a row.
   */
  'studies.ensemble': invoke(studyRef.extend({ vote: z.enum(['soft', 'hard']).optional(), name: z.string().trim().min(1).max(STUDY_MAX_TEXT).optional() }), returns<StudySummary>()),
  'studies.list': invoke(z.strictObject({}), returns<StudySummary[]>()),
  'studies.get': invoke(studyRef, returns<StudySummary>()),
  /** Members not yet started stay stopped; a member already training finishes its run. */
  'studies.pause': invoke(studyRef, returns<StudySummary>()),
  /** Queues again every stopped member (from its last checkpoint where it has one). */
  'studies.resume': invoke(studyRef, returns<StudySummary>()),
  /**
   * More values on the study's existing axes and more seeds: only the new members are planned, checked and
   * queued (left stopped while the study is paused). A new axis is refused: duplicate the study instead.
   */
  'studies.extend': invoke(
    studyRef.extend({
      axes: z.array(studyAxisSchema).max(STUDY_MAX_AXES).default([]),
      seeds: z.array(z.number().int().min(0)).max(STUDY_MAX_SEEDS).default([]),
      leaveOutUnrunnable: z.boolean().default(false),
    }),
    returns<StudySummary>(),
  ),
  /** A new study with the same base, axes, seeds, evaluation and reference; its members train afresh. */
  'studies.duplicate': invoke(studyRef.extend({ name: z.string().trim().min(1).max(STUDY_MAX_TEXT), paused: z.boolean().default(false) }), returns<StudySummary>()),
  /** The study's table grouped by its axes (mean ± std over seeds), of one evaluation setting. */
  'studies.export': invoke(
    studyRef.extend({
      format: z.enum(['csv', 'md', 'latex']),
      path: z.string().min(1).optional(),
      // Each left out takes the study's own evaluation setting (a plain evaluation of the best checkpoint on any
      // split when it has none); columns default to the comparison's, with the reference's beside them.
      split: z.enum(SPLITS).nullable().optional(),
      tta: z.number().int().min(0).max(TTA_VIEWS_MAX).optional(),
      ttaFlip: z.boolean().optional(),
      checkpoint: z.enum(['best', 'last']).optional(),
      columns: z.array(z.string().max(50)).max(40).optional(),
    }),
    returns<{ text: string; path: string | null }>(),
  ),
};

export const studiesEvents = {};
