import { m0010Initial } from './0010-initial';
import { m0060Studies } from './0060-studies';
import type { Migration } from './types';

/** In order. A new migration is appended here with the next multiple of 10. */
export const MIGRATIONS: readonly Migration[] = [m0010Initial, m0060Studies];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
