import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FERPLUS_TO_FER2013 } from '../../../src-shared/contract/ferplus';
import { NUM_CLASSES, PIXELS_PER_IMAGE, type Split } from '../../../src-shared/labels';
import type { Workbench } from '../../../src-main/context';
import { loadSplit, readPixelsByIds } from '../../../src-main/data/packed-store';
import { prng } from '../../../src-main/engine/rng';
import { insertEvaluation } from '../../../src-main/store/evaluations';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/**
 * A synthetic dataset (210 faces per split) where every 8th face's label is planted wrong: its "true" expression is
 * the next class. The stored evaluations come from a model that knows the truth (p ≈ 0.55–0.85 on it), and
 * FER+ votes written by the test side with the truth, except every 13th face, which the crowd calls "not a face", and
 * every 11th, where it sides with the FER2013 label.
 */
const planted = (idx: number) => idx % 8 === 3;
const nonFace = (idx: number) => idx % 13 === 5;
/** Faces where the crowd sides with the (planted or not) FER2013 label instead of the truth. */
const crowdSaysLabel = (idx: number) => idx % 11 === 7;
const HEADER = 'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF';

let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let dir: string;
let ds: number;
let run: number;
/** sample id → its row, split, label and planted truth */
const faces = new Map<number, { idx: number; split: Split; label: number; truth: number }>();

function storeEval(runId: number, split: Split, seed: number): number {
  const data = loadSplit(wb, ds, split);
  const r = prng(seed);
  const probs = new Float32Array(data.n * NUM_CLASSES);
  for (let i = 0; i < data.n; i++) {
    const truth = faces.get(data.ids[i]!)!.truth;
    const p = 0.55 + 0.3 * r();
    for (let k = 0; k < NUM_CLASSES; k++) probs[i * NUM_CLASSES + k] = k === truth ? p : (1 - p) / (NUM_CLASSES - 1);
  }
  return insertEvaluation(wb.db, { runId, ensembleId: null, datasetId: ds, split, checkpoint: 'best', tta: null, sampleIds: data.ids, labels: data.labels, probs }).id;
}

beforeAll(async () => {
  t = tempWorkbench();
  wb = t.wb;
  dir = mkdtempSync(join(tmpdir(), 'fer-label-issues-'));
  ds = (await createSyntheticDataset(wb, { perClass: 30, balanced: true, testFraction: 1, seed: 7, name: 'noisy' })).id;
  const rows = wb.db.prepare('SELECT id, idx, split, label FROM samples WHERE dataset_id = ? ORDER BY idx').all(ds) as { id: number; idx: number; split: Split; label: number }[];
  const lines = [HEADER];
  for (const s of rows) {
    const truth = planted(s.idx) ? (s.label + 1) % NUM_CLASSES : s.label;
    faces.set(s.id, { idx: s.idx, split: s.split, label: s.label, truth });
    const votes = new Array<number>(10).fill(0);
    if (nonFace(s.idx)) votes[9] = 10;
    else votes[FERPLUS_TO_FER2013.indexOf(crowdSaysLabel(s.idx) ? s.label : truth)] = 10;
    lines.push(`${s.split},fer${s.idx}.png,${votes.join(',')}`);
  }
  writeFileSync(join(dir, 'fer2013new.csv'), `${lines.join('\n')}\n`);
  await call(handlers, wb, 'ferplus.import', { path: join(dir, 'fer2013new.csv'), dataset: ds });
  run = insertRun(wb, ds, 1, false);
});
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('eval.labelIssues', () => {
  it('flags the planted faces of an out-of-sample evaluation, and FER+ disagrees with the flagged ones far more often', async () => {
    const id = storeEval(run, 'PrivateTest', 21);
    const rep = await call(handlers, wb, 'eval.labelIssues', { evaluationId: id, limit: 500 });
    expect(rep).toMatchObject({ inSample: false, warning: null, rankBy: 'self-confidence' });
    expect(rep.evaluation.id).toBe(id);
    expect(rep.labelCounts).toEqual(new Array(7).fill(30));
    expect(rep.confidentJoint.flat().reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(210);
    expect(rep.items).toHaveLength(rep.flagged);

    const privateIds = [...faces].filter(([, f]) => f.split === 'PrivateTest').map(([id]) => id);
    const plantedIds = new Set(privateIds.filter((id) => faces.get(id)!.label !== faces.get(id)!.truth));
    const flaggedIds = new Set(rep.items.map((x) => x.sampleId));
    const hits = [...flaggedIds].filter((x) => plantedIds.has(x)).length;
    expect(hits / plantedIds.size, 'recall').toBeGreaterThanOrEqual(0.9);
    expect(hits / flaggedIds.size, 'precision').toBeGreaterThanOrEqual(0.9);
    for (const it of rep.items) {
      const f = faces.get(it.sampleId)!;
      expect(it.givenLabel).toBe(f.label);
      if (plantedIds.has(it.sampleId)) expect(it.suggestedLabel).toBe(f.truth);
      expect(it.selfConfidence).toBeCloseTo(it.probs[f.label]!, 6);
      expect(it.crowdMajority).toBe(nonFace(f.idx) ? 9 : FERPLUS_TO_FER2013.indexOf(crowdSaysLabel(f.idx) ? f.label : f.truth));
    }
    const self = rep.items.map((x) => x.selfConfidence);
    expect(self).toEqual([...self].sort((a, b) => a - b));

    // The evidence, counted here from the planted pattern: faces whose crowd majority is a FER2013 class.
    const counted = privateIds.filter((id) => !nonFace(faces.get(id)!.idx));
    const tally = (ids: number[]) => ({ withMajority: ids.length, disagree: ids.filter((x) => plantedIds.has(x) && !crowdSaysLabel(faces.get(x)!.idx)).length });
    expect(rep.ferplus).toEqual({ flagged: tally(counted.filter((x) => flaggedIds.has(x))), unflagged: tally(counted.filter((x) => !flaggedIds.has(x))) });
    const r = rep.ferplus!;
    expect(r.flagged.disagree).toBeLessThan(r.flagged.withMajority);
    expect(r.flagged.disagree / r.flagged.withMajority).toBeGreaterThan(0.75);
    expect(r.unflagged.disagree / r.unflagged.withMajority).toBeLessThan(0.05);

    const px = Buffer.from(rep.pixelsBase64, 'base64');
    expect(px.length).toBe(rep.items.length * PIXELS_PER_IMAGE);
    expect(new Uint8Array(px)).toEqual(readPixelsByIds(wb, rep.items.map((x) => x.sampleId)));

    const byMargin = await call(handlers, wb, 'eval.labelIssues', { evaluationId: id, limit: 5, rankBy: 'margin' });
    expect(byMargin.items).toHaveLength(5);
    expect(byMargin.flagged).toBe(rep.flagged);
    const margins = byMargin.items.map((x) => x.margin);
    expect(margins).toEqual([...margins].sort((a, b) => a - b));
    expect(margins[0]).toBe(Math.min(...rep.items.map((x) => x.margin)));
  });

  it('marks an evaluation on the split the model trained on as in-sample, for a run and for an ensemble of such runs', async () => {
    const id = storeEval(run, 'Training', 22);
    const rep = await call(handlers, wb, 'eval.labelIssues', { evaluationId: id });
    expect(rep.inSample).toBe(true);
    expect(rep.warning).toMatch(new RegExp(`In-sample probabilities: evaluation ${id} is on Training, the split run ${run} was trained on`));
    expect(rep.items.length).toBeLessThanOrEqual(50);

    const other = insertRun(wb, ds, 2, false);
    const ens = await call(handlers, wb, 'ensembles.create', { evaluationIds: [id, storeEval(other, 'Training', 23)] });
    const viaEnsemble = await call(handlers, wb, 'eval.labelIssues', { evaluationId: ens.id });
    expect(viaEnsemble.inSample).toBe(true);
    expect(viaEnsemble.warning).toMatch(new RegExp(`ensemble members \\(runs ${run}, ${other}\\) were trained on`));

    // A run trained on PublicTest (an odd choice, but the config says so) makes PublicTest in-sample, Training not.
    const onPublic = wb.db.prepare("UPDATE runs SET config_json = json_set(config_json, '$.trainSplit', 'PublicTest') WHERE id = ?");
    onPublic.run(other);
    expect((await call(handlers, wb, 'eval.labelIssues', { evaluationId: storeEval(other, 'PublicTest', 24) })).inSample).toBe(true);
    expect((await call(handlers, wb, 'eval.labelIssues', { evaluationId: storeEval(other, 'Training', 25) })).inSample).toBe(false);
  });

  it('refuses an evaluation that does not exist and arguments out of the schema', async () => {
    await expect(call(handlers, wb, 'eval.labelIssues', { evaluationId: 99999 })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Evaluation 99999 does not exist.' });
    for (const bad of [{ limit: 0 }, { limit: 501 }, { limit: 2.5 }, { rankBy: 'loss' }, { offset: 3 }]) {
      await expect(call(handlers, wb, 'eval.labelIssues', { evaluationId: 1, ...bad }), JSON.stringify(bad)).rejects.toMatchObject({ code: 'BAD_ARGS' });
    }
    await expect(call(handlers, wb, 'eval.labelIssues', { evaluationId: 1, limit: 501 })).rejects.toThrow(/limit/);
  });
});

describe('fer label-issues', () => {
  it('prints the thresholds, the confident joint, the FER+ evidence and the ranked faces; --json without pixels', async () => {
    const fer = inProcessFer(t.dir);
    const id = storeEval(run, 'PublicTest', 26);
    const human = await fer('label-issues', String(id), '--limit', '3');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/per-class thresholds.*\n {2}angry 0\.\d{3}, disgust/);
    expect(human.stdout).toMatch(/confident joint \(rows: given label.*\ngiven\\conf +angry disgust/);
    expect(human.stdout).toMatch(/FER\+ majority differs from the label: flagged \d+ of \d+ \(\d+\.\d\d%\); unflagged/);
    expect(human.stdout).toMatch(/ranked by self-confidence, first 3:\nrank +sample given +suggested +p\(given\) +margin +FER\+ majority\n +1 +\d+ /);
    expect(human.stderr).toBe('');

    const json = await fer('label-issues', String(id), '--rank-by', 'margin', '--json');
    expect(json.code, json.stderr).toBe(0);
    const rep = lastJson(json.stdout);
    expect(rep).toMatchObject({ rankBy: 'margin', inSample: false });
    expect(rep.items).toHaveLength(Math.min(20, rep.flagged));
    expect(rep.confidentJoint).toHaveLength(7);
    expect(rep).not.toHaveProperty('pixelsBase64');

    const train = await fer('label-issues', String(storeEval(run, 'Training', 27)));
    expect(train.code).toBe(0);
    expect(train.stderr).toMatch(/warning: In-sample probabilities/);
    expect(train.stdout).toMatch(/\(in-sample probabilities: see the warning\)/);

    expect((await fer('label-issues', String(id), '--rank-by', 'loss')).code).toBe(2);
    const tooMany = await fer('label-issues', String(id), '--limit', '501', '--json');
    expect(tooMany.code).toBe(2);
    expect(tooMany.stdout + tooMany.stderr).toMatch(/BAD_ARGS.*limit/);
    const missing = await fer('label-issues', '99999', '--json');
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toMatch(/NOT_FOUND/);
  });
});
