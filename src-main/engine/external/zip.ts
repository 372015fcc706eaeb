import { readFileSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import { AppError } from '../../../src-shared/errors';

/**
 * The entries of a zip archive (a Keras 3 `.keras` file is one: config.json, metadata.json, model.weights.h5),
 * read from its central directory. Stored and deflated entries only, which is what Keras writes; every entry's
 * CRC is checked, so a truncated or altered archive is an error rather than a half-read model.
 */
export function readZip(file: string): Map<string, Buffer> {
  const buf = readFileSync(file);
  const bad = (why: string) => new AppError('INVALID_DATA', `${file} is not a readable zip archive (${why}); truncated or corrupt?`);
  // End of central directory: 22 bytes plus a comment of up to 65,535 bytes, at the end of the file.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end-of-central-directory record');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let k = 0; k < count; k++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== 0x02014b50) throw bad('a central directory entry is missing');
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    at += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw bad(`entry ${name} has no local header`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const end = start + size;
    if (end > buf.length) throw bad(`entry ${name} runs past the end of the file`);
    let data: Buffer;
    if (method === 0) data = buf.subarray(start, end);
    else if (method === 8) {
      try {
        data = inflateRawSync(buf.subarray(start, end));
      } catch (err) {
        throw bad(`entry ${name} does not inflate: ${(err as Error).message}`);
      }
    } else throw bad(`entry ${name} uses compression method ${method}`);
    if (crc32(data) >>> 0 !== crc) throw bad(`entry ${name} fails its CRC check`);
    out.set(name, data);
  }
  return out;
}
