import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../src-main/context';
import { HOME_MARKER, resolveHome } from '../../src-main/home';
import { APPLICATION_ID } from '../../src-main/store/db';
import { tempDir } from '../helpers/workbench';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

describe('workbench home', () => {
  it('uses --home over FER_HOME over the default, and lays out its folders', () => {
    const a = tempDir();
    const b = tempDir();
    cleanups.push(a.cleanup, b.cleanup);
    expect(resolveHome({ flag: a.dir, env: { FER_HOME: b.dir } }).root).toBe(a.dir);
    const home = resolveHome({ env: { FER_HOME: b.dir } });
    expect(home.root).toBe(b.dir);
    for (const d of [home.datasets, home.runs, home.weights, home.tmp]) expect(existsSync(d)).toBe(true);
  });

  it('creates the default home but refuses a missing explicit one', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    expect(resolveHome({ env: {}, fallback: join(t.dir, 'fresh') }).root).toBe(join(t.dir, 'fresh'));
    expect(() => resolveHome({ flag: join(t.dir, 'typo'), env: {} })).toThrow(/does not exist/);
    try {
      resolveHome({ flag: join(t.dir, 'typo'), env: {} });
    } catch (err) {
      expect((err as { code: string }).code).toBe('HOME_MISSING');
    }
    writeFileSync(join(t.dir, 'file'), 'x');
    expect(() => resolveHome({ flag: join(t.dir, 'file'), env: {} })).toThrow(/not a directory/);
  });

  it('says HOME_UNWRITABLE when its folders cannot be created', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    writeFileSync(join(t.dir, HOME_MARKER), '');
    writeFileSync(join(t.dir, 'datasets'), 'a file where a folder must go');
    expect(() => resolveHome({ flag: t.dir, env: {} })).toThrow(expect.objectContaining({ code: 'HOME_UNWRITABLE' }));
  });

  // Root bypasses file modes, and CI runs as root, so this one only runs as an ordinary user.
  it.skipIf(process.getuid?.() === 0)('refuses an unwritable home', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const ro = join(t.dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    expect(() => resolveHome({ flag: ro, env: {} })).toThrow(/not writable/);
  });

  it('refuses an empty --home instead of quietly using the default', () => {
    expect(() => resolveHome({ flag: '', env: {} })).toThrow(expect.objectContaining({ code: 'BAD_ARGS', message: expect.stringMatching(/--home is empty/) }));
  });

  it('marks a new home, and refuses a non-empty folder that is no home, writing nothing into it', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const fresh = join(t.dir, 'fresh');
    mkdirSync(fresh);
    expect(resolveHome({ flag: fresh, env: {} }).root).toBe(fresh);
    expect(existsSync(join(fresh, HOME_MARKER))).toBe(true);
    expect(resolveHome({ flag: fresh, env: {} }).root).toBe(fresh); // now non-empty, and still a home

    // What `--home /` did: datasets/, runs/, weights/, tmp/ and a DB written into a folder of other things.
    const other = join(t.dir, 'projects');
    mkdirSync(join(other, 'src'), { recursive: true });
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect(() => openWorkbench({ flag: other, env: {} })).toThrow(
      expect.objectContaining({ code: 'HOME_FOREIGN', message: expect.stringMatching(/is not a FER Workbench home: it holds other files \(notes.txt, src\)/) }),
    );
    expect(readdirSync(other).sort()).toEqual(['notes.txt', 'src']);
  });

  it("refuses another program's SQLite file as the workbench DB, leaving it untouched", () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'workbench.sqlite');
    const raw = new Database(file);
    raw.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
    raw.close();
    expect(() => openWorkbench({ flag: t.dir, env: {} })).toThrow(expect.objectContaining({ code: 'HOME_FOREIGN', message: expect.stringMatching(/another program.*notes/) }));
    expect(readdirSync(t.dir)).toEqual(['workbench.sqlite']);
    // Even inside a marked home, and for any caller of openDb.
    writeFileSync(join(t.dir, HOME_MARKER), '');
    expect(() => openWorkbench({ flag: t.dir, env: {} })).toThrow(expect.objectContaining({ code: 'HOME_FOREIGN' }));
    const again = new Database(file);
    expect(again.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'notes' }]);
    expect(again.pragma('user_version', { simple: true })).toBe(0);
    again.close();
  });

  it('opens a home made before the marker (a workbench DB, no application_id), and marks it', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const wb = openWorkbench({ flag: t.dir, env: {} });
    wb.db.prepare("INSERT INTO datasets (name, source_path, format, pixels_file, sample_count, created_at) VALUES ('old', 'x', 'csv', 'p', 0, 'now')").run();
    await wb.close();
    // As an earlier version left it: no marker, application_id 0.
    rmSync(join(t.dir, HOME_MARKER));
    const raw = new Database(join(t.dir, 'workbench.sqlite'));
    raw.pragma('application_id = 0');
    raw.close();
    const reopened = openWorkbench({ flag: t.dir, env: {} });
    expect(reopened.db.prepare('SELECT name FROM datasets').all()).toEqual([{ name: 'old' }]);
    expect(reopened.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    await reopened.close();
    expect(existsSync(join(t.dir, HOME_MARKER))).toBe(true);
  });
});
