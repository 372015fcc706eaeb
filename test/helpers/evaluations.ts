import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { trainConfigSchema } from '../../src-shared/contract/runs';
import { NUM_CLASSES, type Split } from '../../src-shared/labels';
import type { Workbench } from '../../src-main/context';
import { loadSplit } from '../../src-main/data/packed-store';
import { checkpointDir, saveModelDir } from '../../src-main/engine/checkpoint';
import { prng as mulberry32 } from '../../src-main/engine/rng';
import { ttaFromArgs, ttaSummary } from '../../src-main/evaluation/compute';
import { insertEvaluation } from '../../src-main/store/evaluations';

/**
 * For tests where training is not what is tested: a run is a row with a config, and an evaluation is a
 * stored probability table from a seeded "noisy oracle", so every expected number can be recomputed.
 */
export function insertRun(wb: Workbench, ds: number, seed: number, classWeights: boolean, name = `r${seed}${classWeights ? 'w' : ''}`): number {
  const config = trainConfigSchema.parse({ dataset: ds, seed, classWeights });
  const now = new Date('2026-01-01T00:00:00Z');
  const end = new Date(now.getTime() + 1000 * (60 + seed));
  return Number(
    wb.db
      .prepare(
        `INSERT INTO runs (name, dataset_id, model, config_json, seed, backend, code_version, status, epochs_done, best_epoch, created_at, started_at, finished_at)
         VALUES (?, ?, 'baseline', ?, ?, 'wasm', 'test', 'completed', 5, ?, ?, ?, ?)`,
      )
      .run(name, ds, JSON.stringify(config), seed, seed + 1, now.toISOString(), now.toISOString(), end.toISOString()).lastInsertRowid,
  );
}

/**
 * An untrained stand-in for a run's best checkpoint (pool → dense → softmax): for tests of what evaluation does with a
 * checkpoint (read it, predict every face, store the result), where what it predicts does not matter.
 */
export async function saveStandInCheckpoint(wb: Workbench, runId: number): Promise<void> {
  const m = tf.sequential();
  m.add(tf.layers.averagePooling2d({ inputShape: [48, 48, 1], poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }));
  await saveModelDir(m, checkpointDir(wb.home.runs, runId, 'best'));
  m.dispose();
}

/** Probabilities that put p ∈ [0.3, 0.9) on the true class with chance `skill`, else on a random wrong one. */
export function oracleProbs(labels: Uint8Array, skill: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(labels.length * NUM_CLASSES);
  for (let i = 0; i < labels.length; i++) {
    const right = r() < skill;
    const target = right ? labels[i]! : (labels[i]! + 1 + Math.floor(r() * 6)) % 7;
    const p = 0.3 + 0.6 * r();
    for (let k = 0; k < 7; k++) out[i * 7 + k] = k === target ? p : (1 - p) / 6;
  }
  return out;
}

/** `setting`: the TTA views (K augmented, the mirror on by default once K > 0) and checkpoint it is recorded with. */
export function fakeEval(wb: Workbench, runId: number, ds: number, split: Split, skill: number, seed: number, setting: { tta?: number; ttaFlip?: boolean; checkpoint?: 'best' | 'last' } = {}): number {
  const data = loadSplit(wb, ds, split);
  return insertEvaluation(wb.db, {
    runId,
    ensembleId: null,
    datasetId: ds,
    split,
    checkpoint: setting.checkpoint ?? 'best',
    tta: ttaSummary(ttaFromArgs(setting.tta ?? 0, setting.ttaFlip, 0)),
    sampleIds: data.ids,
    labels: data.labels,
    probs: oracleProbs(data.labels, skill, seed),
  }).id;
}

/**
 * Every stored evaluation is whole: one prediction per sample of its split, seven per-class rows and a confusion
 * matrix (insertEvaluation writes them in one transaction, so a killed process must leave all or none).
 * Returns the evaluation ids.
 */
export function expectWholeEvaluations(wb: Workbench): number[] {
  const rows = wb.db.prepare('SELECT id, dataset_id, split, samples FROM evaluations ORDER BY id').all() as { id: number; dataset_id: number; split: Split; samples: number }[];
  const count = (sql: string, ...args: unknown[]) => (wb.db.prepare(sql).get(...args) as { n: number }).n;
  for (const e of rows) {
    expect(e.samples, `evaluation ${e.id}: samples`).toBe(count('SELECT count(*) AS n FROM samples WHERE dataset_id = ? AND split = ?', e.dataset_id, e.split));
    expect(count('SELECT count(*) AS n FROM predictions WHERE evaluation_id = ?', e.id), `evaluation ${e.id}: predictions`).toBe(e.samples);
    expect(count('SELECT count(*) AS n FROM class_metrics WHERE evaluation_id = ?', e.id), `evaluation ${e.id}: class metrics`).toBe(NUM_CLASSES);
    expect(count('SELECT count(*) AS n FROM confusions WHERE evaluation_id = ?', e.id), `evaluation ${e.id}: confusion`).toBe(1);
  }
  return rows.map((e) => e.id);
}

/**
 * Every stored ensemble is whole: `members` member rows and exactly one evaluation of its own (which
 * expectWholeEvaluations checks row by row). createEnsemble writes all three in one transaction. Returns the ids.
 */
export function expectWholeEnsembles(wb: Workbench, members: number): number[] {
  const rows = wb.db.prepare('SELECT id FROM ensembles ORDER BY id').all() as { id: number }[];
  const count = (sql: string, id: number) => (wb.db.prepare(sql).get(id) as { n: number }).n;
  for (const { id } of rows) {
    expect(count('SELECT count(*) AS n FROM ensemble_members WHERE ensemble_id = ?', id), `ensemble ${id}: members`).toBe(members);
    expect(count('SELECT count(*) AS n FROM evaluations WHERE ensemble_id = ?', id), `ensemble ${id}: evaluation`).toBe(1);
  }
  return rows.map((r) => r.id);
}
