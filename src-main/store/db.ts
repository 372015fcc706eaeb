import Database from 'better-sqlite3';
import { AppError } from '../../src-shared/errors';
import { LATEST_VERSION, MIGRATIONS } from './migrations';
import { sqliteNativeBinding } from './native-binding';
import type { Migration } from './migrations/types';

export type Db = Database.Database;

/** SQLite's application_id for a workbench DB ('FERW'), so another program's file is told apart. */
export const APPLICATION_ID = 0x46455257;

export interface OpenOptions {
  migrations?: readonly Migration[];
  readonly?: boolean;
}

/**
 * Opens the workbench DB, refuses one written by a newer version, and brings an older one up to date
 * in a single transaction, so a failed migration leaves the file as it was.
 */
export function openDb(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  // Outside the try: a missing Electron build is its own error with its fix, not "cannot open database".
  const nativeBinding = sqliteNativeBinding();
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, nativeBinding });
  } catch (err) {
    throw new AppError('IO_ERROR', `Cannot open database ${file}: ${(err as Error).message}`);
  }
  try {
    // A file that is not SQLite fails on the first read, so probe before any pragma writes.
    const version = readUserVersion(db, file);
    const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
    if (version > latest) {
      throw new AppError(
        'DB_FROM_FUTURE',
        `Database ${file} has schema version ${version}, but this FER Workbench only knows up to ${latest}. ` +
          'It was written by a newer version: update FER Workbench, or use another --home.',
        { version, latest },
      );
    }
    assertWorkbenchDb(db, file, version);
    if (!options.readonly && file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    if (!options.readonly) {
      migrate(db, migrations, version);
      if (db.pragma('application_id', { simple: true }) !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Refuses another program's SQLite file instead of adding the workbench schema to it. Ours: our
 * application_id; a new empty file; or, from versions before application_id was set, a versioned file
 * holding the workbench's tables.
 */
function assertWorkbenchDb(db: Db, file: string, version: number): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId === APPLICATION_ID) return;
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
  if (appId === 0 && version === 0 && tables.length === 0) return;
  if (appId === 0 && version > 0 && tables.includes('datasets') && tables.includes('runs')) return;
  throw new AppError(
    'HOME_FOREIGN',
    `${file} is a SQLite database of another program (application_id ${appId}, ${tables.length} table(s): ${tables.slice(0, 5).join(', ') || 'none'}), ` +
      'not a FER Workbench database. It was left untouched: use another --home.',
    { path: file },
  );
}

/** Throws unless `file` is a workbench DB (or a new empty one); never changes it. For a home being adopted. */
export function checkWorkbenchDb(file: string): void {
  openDb(file, { readonly: true }).close();
}

function readUserVersion(db: Db, file: string): number {
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    throw new AppError('DB_CORRUPT', `${file} is not a FER Workbench database: ${(err as Error).message}`);
  }
}

export function migrate(db: Db, migrations: readonly Migration[], from: number): void {
  const pending = migrations.filter((m) => m.version > from);
  if (!pending.length) return;
  const run = db.transaction(() => {
    for (const m of pending) {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
  });
  run();
}

export { LATEST_VERSION };

/** The SQLite library's version, as the doctor reports it. */
export function sqliteVersion(db: Pick<Db, 'prepare'>): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
}
