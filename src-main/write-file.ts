import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError } from '../src-shared/errors';
import { diskFullReason, isDiskFull } from './disk-full';
import { removeDeadTemps } from './processes';

const WRITE_CHUNK = 2 ** 30;

/**
 * Writes via a temp file in the same folder, fsynced, plus a rename, so a failed, killed or crashed write leaves the
 * old file or the new one, never part of one (and the next write to the same path removes a killed one's temp
 * file). Exports, contact sheets, curves and the feature store's files all go through here.
 */
export function writeFileAtomic(path: string, text: string | Uint8Array): string {
  const target = resolve(path);
  const prefix = `.${basename(target)}.tmp-`;
  const tmp = join(dirname(target), `${prefix}${process.pid}-${Date.now()}`);
  // An export killed between its write and its rename left its temp file here; nobody else will remove it.
  removeDeadTemps(dirname(target), prefix);
  try {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    const fd = openSync(tmp, 'wx');
    try {
      // One write call takes at most 2 GiB - 1 (Node's limit); the feature store's files can be larger.
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, Math.min(bytes.length - at, WRITE_CHUNK));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT' ? 'its folder does not exist' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a folder' : isDiskFull(e) ? diskFullReason(dirname(target)) : e.message;
    throw new AppError('IO_ERROR', `Cannot write ${target}: ${why}. Nothing was written.`);
  }
  return target;
}
