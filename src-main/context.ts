import { openDb, type Db } from './store/db';
import { openReadableDb, type ReadableDb } from './store/readable-db';
import { EventBus } from './events';
import { resolveHome, type HomeOptions, type HomePaths } from './home';

/** Everything a service needs: passed explicitly so tests can build one over a temp folder. */
export interface Workbench {
  home: HomePaths;
  db: Db;
  events: EventBus;
  /** Releases background work (training queue, child processes) and closes the DB. */
  close(): Promise<void>;
  /** Services register teardown work here (a queue, a child process). */
  onClose(fn: () => Promise<void> | void): void;
}

export function openWorkbench(options: HomeOptions = {}): Workbench {
  const home = resolveHome(options);
  const db = openDb(home.db);
  const events = new EventBus();
  const closers: (() => Promise<void> | void)[] = [];
  let closed = false;
  return {
    home,
    db,
    events,
    onClose(fn) {
      closers.push(fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const fn of closers.reverse()) await fn();
      db.close();
    },
  };
}

/**
 * What a child process works with: the home and a read-only connection (store/readable-db.ts). Functions that only
 * read take this, so a parent's Workbench serves them as well.
 */
export interface ReadableWorkbench {
  home: HomePaths;
  db: ReadableDb;
}

/** A child's view of the home named by its parent: the DB opened read-only, nothing migrated or created. */
export function openReadableWorkbench(home: string): ReadableWorkbench & { close(): void } {
  const paths = resolveHome({ flag: home });
  const db = openReadableDb(paths.db);
  return { home: paths, db, close: () => db.close() };
}
