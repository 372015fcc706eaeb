import { afterAll, describe, expect, it } from 'vitest';
import { openReadableWorkbench, type ReadableWorkbench } from '../../../src-main/context';
import type { ReadableDb } from '../../../src-main/store/readable-db';
import { tempWorkbench } from '../../helpers/workbench';

describe("a child process's database (ReadableDb)", () => {
  const t = tempWorkbench();
  afterAll(() => t.cleanup());

  it('reads what the parent wrote, and SQLite refuses a write through it', () => {
    t.wb.db.prepare("INSERT INTO weights (id, name, architecture, format, path, sha256, created_at) VALUES ('w1', 'mine', 'baseline', 'keras-h5', 'w1.bin', 'x', '2026-01-01')").run();
    const child = openReadableWorkbench(t.wb.home.root);
    try {
      expect(child.db.prepare('SELECT name FROM weights WHERE id = ?').get('w1')).toEqual({ name: 'mine' });
      // The type offers no `run`; a cast past it still meets SQLite's read-only connection.
      const stmt = child.db.prepare("UPDATE weights SET name = 'theirs'") as unknown as { run(): unknown };
      expect(() => stmt.run()).toThrow(/readonly/);
      expect(t.wb.db.prepare('SELECT name FROM weights').pluck().get()).toBe('mine');
    } finally {
      child.close();
    }
  });

  it('offers no write methods in its type, while a writable workbench still serves as a readable one', () => {
    const db = null as unknown as ReadableDb;
    const typeOnly = () => {
      // @ts-expect-error a ReadableDb has no exec
      db.exec('DELETE FROM runs');
      // @ts-expect-error a ReadableDb has no transaction
      db.transaction(() => {});
      // @ts-expect-error its statements have no run
      db.prepare('DELETE FROM runs').run();
    };
    expect(typeof typeOnly).toBe('function');
    const asReadable: ReadableWorkbench = t.wb;
    expect(asReadable.db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 0 });
  });
});
