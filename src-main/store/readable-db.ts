import type { Db } from './db';
import { openDb } from './db';

/**
 * The database as a child process (the trainer, the evaluation worker) sees it: statements it can read with and
 * nothing that writes (no `run`, `exec` or `transaction`), the idea of Signal Desktop's ReadableDB/WritableDB.
 * The children report and the parent records, so SQLite keeps one writer; this type makes the compiler hold the
 * children to that, and `openReadableDb` opens the file read-only so SQLite holds them to it too. A writable
 * `Db` is also a ReadableDb, so a function that only reads takes this type and serves both sides.
 */
export interface ReadStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(toggleState?: boolean): ReadStatement;
  raw(toggleState?: boolean): ReadStatement;
  columns(): { name: string }[];
}

export interface ReadableDb {
  readonly readonly: boolean;
  prepare(source: string): ReadStatement;
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** A read-only connection: SQLite refuses any write on it ("attempt to write a readonly database"). */
export function openReadableDb(file: string): ReadableDb & { close(): void } {
  const db: Db = openDb(file, { readonly: true });
  return db;
}
