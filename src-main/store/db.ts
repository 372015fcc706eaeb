import Database from 'better-sqlite3';
import { AppError } from '../../src-shared/errors';
import { LATEST_VERSION, MIGRATIONS } from './migrations';
import type { Migration } from './migrations/types';

export type Db = Database.Database;

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
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false });
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
    if (!options.readonly && file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    if (!options.readonly) migrate(db, migrations, version);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
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
