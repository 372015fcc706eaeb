import { m0010Initial } from './0010-initial';
import { m0020Studies } from './0020-studies';
import type { Migration } from './types';

/** In order. A new migration is appended here with the next multiple of 10. */
export const MIGRATIONS: readonly Migration[] = [m0010Initial, m0020Studies];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
