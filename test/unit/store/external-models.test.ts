import { afterAll, describe, expect, it } from 'vitest';
import { deleteExternalRunRows, externalById, externalNameTaken, insertExternalModel } from '../../../src-main/store/external-models';
import { tempWorkbench } from '../../helpers/workbench';

/** The rows of an imported classifier: the model and the run that stands for it go in and out together. */
describe('the external models repository', () => {
  const t = tempWorkbench();
  afterAll(() => t.cleanup());
  const db = t.wb.db;
  const datasetId = Number(
    db.prepare("INSERT INTO datasets (name, source_path, format, pixels_file, sample_count, created_at) VALUES ('d', 'd.csv', 'csv', 'd.bin', 0, '2026-01-01')").run().lastInsertRowid,
  );
  const model = (name: string, dataset: number) => ({
    name,
    format: 'tfjs-layers' as const,
    file: `/src/${name}.json`,
    sha256: 'ab'.repeat(32),
    dir: `/models/${name}`,
    preprocess: { inputSize: 48, channels: 1 as const, scale: 'unit' as const, mean: null, std: null, labels: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] },
    params: 10,
    outputs: 7,
    datasetId: dataset,
    codeVersion: 'test',
  });
  const rowCounts = () => db.prepare('SELECT (SELECT count(*) FROM external_models) AS models, (SELECT count(*) FROM runs) AS runs').get();

  it('stores the model with its completed run, or neither when the run is refused', () => {
    const id = insertExternalModel(db, model('a', datasetId));
    expect(externalById(t.wb, id)).toMatchObject({ id, name: 'a', datasetId, path: '/models/a', preprocess: { inputSize: 48 } });
    expect(db.prepare('SELECT status, model, external_model_id AS m FROM runs WHERE id = ?').get(externalById(t.wb, id)!.runId)).toEqual({ status: 'completed', model: 'external', m: id });
    expect(externalNameTaken(db, 'a')).toBe(true);

    const before = rowCounts();
    // No such dataset: the run's foreign key fails after the model row was written, which must not stay.
    expect(() => insertExternalModel(db, model('b', 999))).toThrow(/FOREIGN KEY/);
    expect(externalNameTaken(db, 'b')).toBe(false);
    expect(rowCounts()).toEqual(before);
  });

  it('deletes the model row with its last run only, and says when it went', () => {
    const id = insertExternalModel(db, model('c', datasetId));
    const first = externalById(t.wb, id)!.runId;
    const second = Number(
      db
        .prepare("INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at, external_model_id) VALUES ('c2', ?, 'external', '{}', 0, 'test', 'completed', '2026-01-01', ?)")
        .run(datasetId, id).lastInsertRowid,
    );
    expect(deleteExternalRunRows(db, first, id)).toBe(false);
    expect(externalNameTaken(db, 'c')).toBe(true);
    expect(deleteExternalRunRows(db, second, id)).toBe(true);
    expect(externalNameTaken(db, 'c')).toBe(false);
    expect(db.prepare('SELECT count(*) AS n FROM runs WHERE id IN (?, ?)').get(first, second)).toEqual({ n: 0 });
  });
});
