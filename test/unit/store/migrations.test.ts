import Database from 'better-sqlite3';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION, openDb } from '../../../src-main/store/db';
import { MIGRATIONS } from '../../../src-main/store/migrations';
import type { Migration } from '../../../src-main/store/migrations/types';
import { useTempDirs } from '../../helpers/workbench';

const tmp = useTempDirs();

describe('migrations', () => {
  it('builds a fresh DB at the latest version with STRICT tables, WAL and foreign keys', () => {
    const file = join(tmp(), 'w.sqlite');
    const db = openDb(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type='table'").all() as { name: string; sql: string }[];
    const names = tables.map((t) => t.name);
    for (const t of ['datasets', 'samples', 'runs', 'metrics', 'evaluations', 'class_metrics', 'confusions', 'predictions', 'artifacts', 'ensembles', 'ensemble_members', 'weights', 'studies', 'study_runs']) {
      expect(names).toContain(t);
    }
    for (const t of tables) expect(t.sql, t.name).toMatch(/STRICT/);
    expect(() => db.prepare("INSERT INTO datasets (name, source_path, format, pixels_file, sample_count, created_at) VALUES ('x','y','csv','p','not a number','now')").run()).toThrow();
    db.close();
  });

  it('upgrades an older DB one migration at a time and keeps its data', () => {
    const file = join(tmp(), 'w.sqlite');
    const first = MIGRATIONS[0]!;
    const extra: Migration = { version: first.version + 10, name: 'test-extra', up: (db) => db.exec('CREATE TABLE extra (id INTEGER PRIMARY KEY) STRICT') };
    openDb(file, { migrations: [first] }).prepare("INSERT INTO datasets (name, source_path, format, pixels_file, sample_count, created_at) VALUES ('kept','y','csv','p',0,'now')").run();
    const db = openDb(file, { migrations: [first, extra] });
    expect(db.pragma('user_version', { simple: true })).toBe(extra.version);
    expect(db.prepare('SELECT name FROM datasets').get()).toEqual({ name: 'kept' });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name='extra'").get()).toBeTruthy();
    db.close();
  });

  it('50 (external models) upgrades a version-10 DB: runs keep their rows and gain external_model_id', () => {
    const file = join(tmp(), 'w.sqlite');
    const v10 = openDb(file, { migrations: [MIGRATIONS[0]!] });
    v10.prepare("INSERT INTO datasets (id, name, source_path, format, pixels_file, sample_count, created_at) VALUES (1, 'd', 'y', 'csv', 'p', 0, 'now')").run();
    v10.prepare("INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at) VALUES ('r', 1, 'baseline', '{}', 1, 'x', 'completed', 'now')").run();
    v10.close();
    const db = openDb(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.prepare('SELECT name, external_model_id FROM runs').all()).toEqual([{ name: 'r', external_model_id: null }]);
    expect(() => db.prepare("INSERT INTO external_models (name, format, source_file, sha256, path, preprocess_json, params, outputs, created_at) VALUES ('m', 'onnx', 'f', 's', 'p', '{}', 1, 7, 'now')").run()).toThrow(/CHECK/);
    expect(() => db.prepare('UPDATE runs SET external_model_id = 99').run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('0060 adds the study tables to a 0010 database, keeping its data', () => {
    const file = join(tmp(), 'w.sqlite');
    openDb(file, { migrations: [MIGRATIONS[0]!] }).prepare("INSERT INTO datasets (name, source_path, format, pixels_file, sample_count, created_at) VALUES ('kept','y','csv','p',0,'now')").run();
    const db = openDb(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.prepare('SELECT name FROM datasets').get()).toEqual({ name: 'kept' });
    expect(() => db.prepare("INSERT INTO studies (name, base_config_json, axes_json, seeds_json, status, created_at) VALUES ('s','{}','[]','[1]','running','now')").run()).toThrow(/CHECK/);
    db.close();
  });

  it('0070 gives a version-60 study its evaluation setting and reference columns (NULL: none), checked', () => {
    const file = join(tmp(), 'w.sqlite');
    const v60 = openDb(file, { migrations: MIGRATIONS.filter((m) => m.version <= 60) });
    v60.prepare("INSERT INTO studies (name, base_config_json, axes_json, seeds_json, status, created_at) VALUES ('s','{}','[]','[1]','active','now')").run();
    v60.close();
    const db = openDb(file);
    expect(db.prepare('SELECT name, evaluate_json, reference FROM studies').all()).toEqual([{ name: 's', evaluate_json: null, reference: null }]);
    expect(() => db.prepare("UPDATE studies SET reference = 'someone else'").run()).toThrow(/CHECK/);
    db.prepare("UPDATE studies SET reference = 'paper-table-2'").run();
    db.close();
  });

  it('rolls back a migration that fails halfway, leaving the version and tables as they were', () => {
    const file = join(tmp(), 'w.sqlite');
    const first = MIGRATIONS[0]!;
    openDb(file, { migrations: [first] }).close();
    const broken: Migration = {
      version: first.version + 10,
      name: 'broken',
      up: (db) => {
        db.exec('CREATE TABLE half (id INTEGER PRIMARY KEY) STRICT');
        db.exec('THIS IS NOT SQL');
      },
    };
    expect(() => openDb(file, { migrations: [first, broken] })).toThrow();
    const raw = new Database(file);
    expect(raw.pragma('user_version', { simple: true })).toBe(first.version);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name='half'").get()).toBeUndefined();
    raw.close();
  });

  it('refuses a DB from a future version without touching it', () => {
    const file = join(tmp(), 'w.sqlite');
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_VERSION + 990}`);
    raw.close();
    expect(() => openDb(file)).toThrow(/newer version/);
    try {
      openDb(file);
    } catch (err) {
      expect((err as { code: string }).code).toBe('DB_FROM_FUTURE');
    }
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 990);
    expect(again.prepare("SELECT count(*) AS n FROM sqlite_master").get()).toEqual({ n: 0 });
    again.close();
  });

  it('refuses a file that is not a SQLite database', () => {
    const file = join(tmp(), 'w.sqlite');
    writeFileSync(file, 'this is plainly not a database file, just text that goes on long enough'.repeat(20));
    expect(() => openDb(file)).toThrow(/not a FER Workbench database/);
  });

  it('uses the index for the UI filters (EXPLAIN QUERY PLAN)', () => {
    const db = openDb(':memory:');
    const plan = (sql: string, ...params: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan('SELECT id, idx FROM samples WHERE dataset_id = 1 AND split = ? AND label = 3 ORDER BY idx LIMIT 100', 'Training')).toMatch(/USING (COVERING )?INDEX samples_by_split_label/);
    expect(plan('SELECT sample_id FROM predictions WHERE evaluation_id = 1 AND true_label = 4 AND pred_label = 2 ORDER BY confidence DESC LIMIT 60')).toMatch(/USING (COVERING )?INDEX predictions_by_cell/);
    expect(plan('SELECT id FROM runs WHERE status = ? ORDER BY id', 'running')).toMatch(/USING (COVERING )?INDEX runs_by_status/);
    expect(plan('SELECT id FROM evaluations WHERE run_id = 3 AND split = ?', 'PrivateTest')).toMatch(/USING (COVERING )?INDEX evaluations_by_run/);
    db.close();
  });
});
