import { m0010Initial } from './0010-initial';
import { m0020TrainCopies } from './0020-train-copies';
import { m0030FerPlus } from './0030-ferplus';
import { m0040Saliency } from './0040-saliency';
import { m0050ExternalModels } from './0050-external-models';
import { m0060Studies } from './0060-studies';
import { m0070StudyEvaluation } from './0070-study-evaluation';
import { m0080DatasetRevisions } from './0080-dataset-revisions';
import { m0090OutOfFold } from './0090-out-of-fold';
import type { Migration } from './types';

/** In order. A new migration is appended here with the next multiple of 10. */
export const MIGRATIONS: readonly Migration[] = [m0010Initial, m0020TrainCopies, m0030FerPlus, m0040Saliency, m0050ExternalModels, m0060Studies, m0070StudyEvaluation, m0080DatasetRevisions, m0090OutOfFold];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
