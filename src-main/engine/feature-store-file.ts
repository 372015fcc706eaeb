import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { writeFileAtomic } from '../write-file';

/**
 * One file of the feature store: the features of some faces of one split, under one key (feature-store.ts).
 * Layout, little-endian:
 *   header   8 bytes magic "FERFEAT1", u32 featureSize, u32 rows, u32 0, u32 0
 *   ids      rows × i32   sample ids, strictly ascending (a run may hold any subset of the split)
 *   sums     rows × u32   FNV-1a of each face's 2,304 pixels: a sample id reused by a later import (SQLite may
 *                         reuse the ids of a deleted dataset) never gets another face's features
 *   features rows × featureSize × f32
 *   trailer  32 bytes     sha256 of everything before it
 * A file that fails any check (a truncated write from elsewhere, a flipped bit) is ignored as a whole.
 */
const MAGIC = 'FERFEAT1';
const HEADER = 24;
const TRAILER = 32;

export interface StoredRows {
  ids: Int32Array;
  sums: Uint32Array;
  features: Float32Array;
  size: number;
}

/** FNV-1a over one face's pixels: cheap (35,887 faces in well under a second) and enough to tell two faces apart. */
export function faceSum(pixels: Uint8Array, row: number): number {
  let h = 0x811c9dc5;
  const end = (row + 1) * PIXELS_PER_IMAGE;
  for (let i = row * PIXELS_PER_IMAGE; i < end; i++) h = Math.imul(h ^ pixels[i]!, 0x01000193);
  return h >>> 0;
}

/** The header's row count and feature size without reading the rest (`fer features list`); null when it is no store file. */
export function peekStoreFile(bytes: Uint8Array): { rows: number; size: number } | null {
  if (bytes.length < HEADER || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER);
  return { size: view.getUint32(8, true), rows: view.getUint32(12, true) };
}

const READ_CHUNK = 2 ** 30;

/** sha256 of bytes fed in pieces: one hash update takes under 2 GiB (Node's limit), a training split's file more. */
export function sha256(bytes: Uint8Array, piece = READ_CHUNK): Buffer {
  const h = createHash('sha256');
  for (let at = 0; at < bytes.length; at += piece) h.update(bytes.subarray(at, Math.min(bytes.length, at + piece)));
  return h.digest();
}

/**
 * A file's bytes, read in chunks: readFileSync refuses files over 2 GiB, and a cut inside faceres stores 2.9 GB
 * for FER2013's training split.
 */
function readWholeFile(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    for (let at = 0; at < size; ) {
      const got = readSync(fd, buf, at, Math.min(size - at, READ_CHUNK), at);
      if (got === 0) throw new Error(`it ended after ${at} of ${size} bytes while being read`);
      at += got;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/**
 * The rows of a store file, checked; `null` when there is no file. Throws an Error saying what is wrong with one
 * that fails a check (the caller warns and recomputes; it never uses any of it).
 */
export function readStoreFile(file: string, size: number): StoredRows | null {
  let buf: Buffer;
  try {
    buf = readWholeFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  // Typed-array views need 4-byte alignment; a small file may sit anywhere in Node's buffer pool.
  const bytes = buf.byteOffset % 4 === 0 ? new Uint8Array(buf.buffer, buf.byteOffset, buf.length) : new Uint8Array(buf);
  const head = peekStoreFile(bytes);
  if (!head) throw new Error('it is not a feature store file (bad header)');
  if (head.size !== size) throw new Error(`it holds ${head.size} features per face, the model gives ${size}`);
  const rows = head.rows;
  const expected = HEADER + rows * 8 + rows * size * 4 + TRAILER;
  if (bytes.length !== expected) throw new Error(`it is ${bytes.length} bytes, ${rows} rows of ${size} features take ${expected} (truncated?)`);
  const body = bytes.subarray(0, expected - TRAILER);
  const digest = sha256(body);
  if (!digest.equals(Buffer.from(bytes.subarray(expected - TRAILER)))) throw new Error('its checksum does not match its contents');
  const ids = new Int32Array(bytes.buffer, bytes.byteOffset + HEADER, rows);
  for (let i = 1; i < rows; i++) if (ids[i]! <= ids[i - 1]!) throw new Error('its sample ids are not in ascending order');
  const sums = new Uint32Array(bytes.buffer, bytes.byteOffset + HEADER + rows * 4, rows);
  const features = new Float32Array(bytes.buffer, bytes.byteOffset + HEADER + rows * 8, rows * size);
  return { ids, sums, features, size };
}

/**
 * Writes rows (any order; ids unique) as a store file: a temp file beside it, fsynced, then a rename, so a crash
 * leaves the old file or the new one, never part of one (writeFileAtomic). Throws its IO_ERROR (the caller warns).
 */
export function writeStoreFile(file: string, rows: StoredRows): void {
  const n = rows.ids.length;
  const size = rows.size;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => rows.ids[a]! - rows.ids[b]!);
  const out = new Uint8Array(HEADER + n * 8 + n * size * 4 + TRAILER);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, size, true);
  view.setUint32(12, n, true);
  const ids = new Int32Array(out.buffer, HEADER, n);
  const sums = new Uint32Array(out.buffer, HEADER + n * 4, n);
  const features = new Float32Array(out.buffer, HEADER + n * 8, n * size);
  order.forEach((from, to) => {
    ids[to] = rows.ids[from]!;
    sums[to] = rows.sums[from]!;
    features.set(rows.features.subarray(from * size, (from + 1) * size), to * size);
  });
  const end = out.length - TRAILER;
  out.set(sha256(out.subarray(0, end)), end);

  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, out);
}
