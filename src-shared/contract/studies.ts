import { z } from 'zod';
import { checkpointSchema, ttaViewsSchema } from './evaluation';
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
}

export interface StudySummary {
  id: number;
  name: string;
  status: 'active' | 'paused';
  base: TrainConfig;
  axes: StudyAxis[];
  seeds: number[];
  createdAt: string;
  members: StudyMember[];
  /** Members per run status (queued, running, completed, …). */
  counts: Partial<Record<RunStatus, number>>;
}

export const studyRef = z.strictObject({ studyId: z.number().int().positive() });

export const studiesInvoke = {
  /** Queues base × axes × seeds as ordinary runs linked to the study (or leaves them stopped when paused). */
  'studies.create': invoke(
    z.strictObject({
      name: z.string().trim().min(1).max(200),
      base: trainConfigSchema,
      axes: z.array(studyAxisSchema).max(STUDY_MAX_AXES).default([]),
      seeds: z.array(z.number().int().min(0)).min(1).max(STUDY_MAX_SEEDS).default([1]),
      paused: z.boolean().default(false),
    }),
    returns<StudySummary>(),
  ),
  'studies.list': invoke(z.strictObject({}), returns<StudySummary[]>()),
  'studies.get': invoke(studyRef, returns<StudySummary>()),
  /** Members not yet started stay stopped; a member already training finishes its run. */
  'studies.pause': invoke(studyRef, returns<StudySummary>()),
  /** Queues again every stopped member (from its last checkpoint where it has one). */
  'studies.resume': invoke(studyRef, returns<StudySummary>()),
  /** The study's table grouped by its axes (mean ± std over seeds), of one evaluation setting. */
  'studies.export': invoke(
    studyRef.extend({
      format: z.enum(['csv', 'md', 'latex']),
      path: z.string().min(1).optional(),
      split: z.enum(SPLITS).nullable().default(null),
      tta: ttaViewsSchema,
      ttaFlip: z.boolean().optional(),
      checkpoint: checkpointSchema,
      columns: z.array(z.string().max(50)).max(40).optional(),
    }),
    returns<{ text: string; path: string | null }>(),
  ),
};

export const studiesEvents = {};
