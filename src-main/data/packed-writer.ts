import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../src-shared/errors';
import { PIXELS_PER_IMAGE, SPLITS } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { removeDeadTemps } from '../processes';
import { datasetIds, insertDataset } from '../store/datasets';

export const PIXELS_FILE = 'pixels.u8';
const TMP_PREFIX = 'import-';
/** Images buffered before one write: 512 × 2,304 B ≈ 1.2 MB, large enough that syscalls do not matter. */
const BATCH = 512;

export interface DatasetMeta {
  name: string;
  sourcePath: string;
  format: 'csv' | 'folders';
  converted: number;
  skipped: number;
}

/**
 * Builds one dataset's packed pixel file in `home.tmp` and its index in memory, then commits both at once:
 * one SQLite transaction inserts the dataset and sample rows and renames the temp folder to
 * `<home.datasets>/<id>/`. Until that commit nothing outside `home.tmp` exists, so a failed or killed import
 * leaves no dataset row behind (and the next import sweeps its temp folder).
 */
export class PackedWriter {
  readonly dir: string;
  private fd: number | null;
  private readonly batch = Buffer.allocUnsafe(BATCH * PIXELS_PER_IMAGE);
  private inBatch = 0;
  private labels = new Uint8Array(1024);
  private splits = new Uint8Array(1024);
  private readonly sources: string[] = [];
  private readonly hashes: string[] = [];
  count = 0;

  constructor(private readonly wb: Workbench) {
    this.dir = join(wb.home.tmp, `${TMP_PREFIX}${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    mkdirSync(this.dir, { recursive: true });
    try {
      this.fd = openSync(join(this.dir, PIXELS_FILE), 'w');
    } catch (err) {
      // A full disk can refuse the file after the folder was made: leave neither.
      rmSync(this.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The 2,304 bytes the next image should be written into (parsers decode straight into it). */
  slot(): Buffer {
    return this.batch.subarray(this.inBatch * PIXELS_PER_IMAGE, (this.inBatch + 1) * PIXELS_PER_IMAGE);
  }

  /** Records the image just written into `slot()`. */
  commitSlot(label: number, splitIndex: number, source: string): void {
    const pixels = this.slot();
    if (this.count === this.labels.length) {
      this.labels = grow(this.labels);
      this.splits = grow(this.splits);
    }
    this.labels[this.count] = label;
    this.splits[this.count] = splitIndex;
    this.sources.push(source);
    this.hashes.push(createHash('sha1').update(pixels).digest('hex'));
    this.count++;
    this.inBatch++;
    if (this.inBatch === BATCH) this.flush();
  }

  append(pixels: Uint8Array, label: number, splitIndex: number, source: string): void {
    this.slot().set(pixels);
    this.commitSlot(label, splitIndex, source);
  }

  private flush(): void {
    if (this.fd === null || this.inBatch === 0) return;
    const bytes = this.inBatch * PIXELS_PER_IMAGE;
    let written = 0;
    while (written < bytes) written += writeSync(this.fd, this.batch, written, bytes - written);
    this.inBatch = 0;
  }

  /** Per split, per class counts of what has been appended so far. */
  counts(): number[][] {
    const counts = SPLITS.map(() => new Array<number>(7).fill(0));
    for (let i = 0; i < this.count; i++) counts[this.splits[i]!]![this.labels[i]!]!++;
    return counts;
  }

  /** Commits the dataset; returns its id. Throws ALREADY_EXISTS if the name was taken meanwhile. */
  finish(meta: DatasetMeta): number {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    // No fsync: a killed process loses nothing from the page cache, and the DB itself runs synchronous=NORMAL.
    let movedTo: string | null = null;
    try {
      return insertDataset(
        this.wb.db,
        {
          ...meta,
          sampleCount: this.count,
          sampleAt: (i) => ({ split: SPLITS[this.splits[i]!]!, label: this.labels[i]!, source: this.sources[i]!, hash: this.hashes[i]! }),
          pixelsFile: (id) => `${id}/${PIXELS_FILE}`,
        },
        // Runs inside the insert's transaction, so a failed move leaves no rows.
        (id) => {
          const target = join(this.wb.home.datasets, String(id));
          // A folder under this id can only be an orphan of a killed import whose row never committed.
          if (existsSync(target)) rmSync(target, { recursive: true, force: true });
          renameSync(this.dir, target);
          movedTo = target;
        },
      );
    } catch (err) {
      if (movedTo) rmSync(movedTo, { recursive: true, force: true });
      this.abort();
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AppError('ALREADY_EXISTS', `A dataset named "${meta.name}" already exists. Choose another --name, or delete the old one (fer datasets delete NAME, or the Datasets view).`);
      }
      throw err;
    }
  }

  /** Removes everything this writer created. Safe to call twice. */
  abort(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function grow(a: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Removes what killed imports left: temp folders whose process is gone, and dataset folders with no row that are
 * older than a minute (younger ones may belong to an import that is committing right now in another process).
 */
export function sweepStaleImports(wb: Workbench): number {
  let removed = removeDeadTemps(wb.home.tmp, TMP_PREFIX);
  const known = new Set(datasetIds(wb.db).map(String));
  for (const entry of safeList(wb.home.datasets)) {
    if (known.has(entry) || !/^\d+$/.test(entry)) continue;
    const full = join(wb.home.datasets, entry);
    if (Date.now() - statSync(full).mtimeMs < 60_000) continue;
    rmSync(full, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
