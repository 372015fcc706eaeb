import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '../src-shared/errors';

export interface HomeOptions {
  /** `--home DIR`: must already exist, since a typo should not silently start an empty workbench. */
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
  tmp: string;
}

export function resolveHome(options: HomeOptions = {}): HomePaths {
  const env = options.env ?? process.env;
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
  const paths: HomePaths = {
    root,
    db: join(root, 'workbench.sqlite'),
    datasets: join(root, 'datasets'),
    runs: join(root, 'runs'),
    weights: join(root, 'weights'),
    tmp: join(root, 'tmp'),
  };
  try {
    for (const dir of [paths.datasets, paths.runs, paths.weights, paths.tmp]) mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new AppError('HOME_UNWRITABLE', `Cannot create folders in workbench home ${root}: ${(err as Error).message}`);
  }
  return paths;
}
