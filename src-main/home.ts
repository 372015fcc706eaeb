import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '../src-shared/errors';
import { checkWorkbenchDb } from './store/db';

/** Written into every home, so a folder that is not one (`--home /`) is never adopted by mistake. */
export const HOME_MARKER = '.fer-workbench';
const DB_FILE = 'workbench.sqlite';

export interface HomeOptions {
  /**
   * `--home DIR`: must already exist, since a typo should not silently start an empty workbench, and be a
   * home (it holds HOME_MARKER), an empty folder, or a home made before the marker (it holds a workbench DB).
   */
  flag?: string | undefined;
  /** The default when neither the flag nor FER_HOME is set: Electron passes its userData here. */
  fallback?: string;
  env?: NodeJS.ProcessEnv;
}

/** Where one workbench keeps everything: the DB, packed datasets, checkpoints, imported weights. */
export interface HomePaths {
  root: string;
  db: string;
  datasets: string;
  runs: string;
  weights: string;
  /** External models (imported classifiers), one folder each, as tfjs layers. */
  models: string;
  /** The frozen-base feature store (engine/feature-store.ts): made when a run first writes to it. */
  featureStore: string;
  tmp: string;
}

export function resolveHome(options: HomeOptions = {}): HomePaths {
  const env = options.env ?? process.env;
  // An empty --home is a mistake (an unset shell variable), not a request for the default. An empty FER_HOME
  // stays "unset", as environment variables usually are.
  if (options.flag !== undefined && options.flag.trim() === '') {
    throw new AppError('BAD_ARGS', '--home is empty: give the folder of a workbench home, or leave out --home to use the default.');
  }
  const explicit = options.flag ?? (env.FER_HOME ? env.FER_HOME : undefined);
  const root = resolve(explicit ?? options.fallback ?? join(homedir(), '.fer-workbench'));
  if (explicit !== undefined) {
    if (!existsSync(root)) {
      throw new AppError('HOME_MISSING', `Workbench home ${root} does not exist. Create it first, or leave out --home/FER_HOME to use the default.`);
    }
    if (!statSync(root).isDirectory()) {
      throw new AppError('HOME_MISSING', `Workbench home ${root} is not a directory.`);
    }
  } else {
    mkdirSync(root, { recursive: true });
  }
  try {
    accessSync(root, constants.W_OK | constants.R_OK);
  } catch {
    throw new AppError('HOME_UNWRITABLE', `Workbench home ${root} is not writable by this user.`);
  }
  if (explicit !== undefined) assertAdoptable(root);
  const paths: HomePaths = {
    root,
    db: join(root, DB_FILE),
    datasets: join(root, 'datasets'),
    runs: join(root, 'runs'),
    weights: join(root, 'weights'),
    models: join(root, 'models'),
    featureStore: join(root, 'cache', 'features'),
    tmp: join(root, 'tmp'),
  };
  try {
    for (const dir of [paths.datasets, paths.runs, paths.weights, paths.models, paths.tmp]) mkdirSync(dir, { recursive: true });
    const marker = join(root, HOME_MARKER);
    if (!existsSync(marker)) writeFileSync(marker, 'This folder is a FER Workbench home: its database, datasets, runs and weights.\n');
  } catch (err) {
    throw new AppError('HOME_UNWRITABLE', `Cannot create folders in workbench home ${root}: ${(err as Error).message}`);
  }
  return paths;
}

/**
 * An explicit home must be one already, an empty folder, or a home from before the marker (its DB checked to
 * be the workbench's). Anything else is refused before a folder or a schema is written into it.
 */
function assertAdoptable(root: string): void {
  if (existsSync(join(root, HOME_MARKER))) return;
  const db = join(root, DB_FILE);
  if (existsSync(db)) {
    checkWorkbenchDb(db);
    return;
  }
  const entries = readdirSync(root);
  if (entries.length === 0) return;
  throw new AppError(
    'HOME_FOREIGN',
    `${root} is not a FER Workbench home: it holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}) and no ${HOME_MARKER} marker or ${DB_FILE}. ` +
      'Give an empty folder or an existing home.',
    { path: root },
  );
}
