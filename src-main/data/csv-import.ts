import { open } from 'node:fs/promises';
import { AppError } from '../../src-shared/errors';
import { PIXELS_PER_IMAGE, SPLITS } from '../../src-shared/labels';
import type { PackedWriter } from './packed-writer';

/** Read size. A line longer than this cannot be a FER2013 row (those are ~9 KB). */
const CHUNK = 4 * 1024 * 1024;
const COMMA = 44;
const QUOTE = 34;
const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

export type CsvProgress = (rows: number, bytesRead: number, totalBytes: number) => void;

interface Columns {
  count: number;
  emotion: number;
  pixels: number;
  usage: number;
}

/**
 * Streams a Kaggle-layout `fer2013.csv` (`emotion,pixels,Usage`, columns in any order, extra columns such as
 * FER+ vote counts ignored) into `writer`. Works on raw bytes in one reused 4 MB buffer: the file is never a
 * JS string, and pixels are decoded straight into the packed file's write buffer.
 */
export async function readFerCsv(file: string, writer: PackedWriter, onProgress: CsvProgress): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const totalBytes = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(CHUNK);
    let filled = 0;
    let bytesRead = 0;
    let eof = false;
    let line = 0;
    let columns: Columns | null = null;
    const fail = (lineNo: number, message: string): never => {
      throw new AppError('INVALID_DATA', `${file}, line ${lineNo}: ${message}`, { file, line: lineNo });
    };

    while (!eof) {
      const { bytesRead: n } = await fh.read(buf, filled, CHUNK - filled, null);
      if (n === 0) eof = true;
      if (bytesRead === 0 && n > 0) checkText(buf.subarray(0, Math.min(n, 8192)), file);
      bytesRead += n;
      filled += n;
      let start = 0;
      for (;;) {
        let end = buf.indexOf(NL, start);
        let truncated = false;
        if (end === -1 || end >= filled) {
          if (!eof || start >= filled) break;
          end = filled; // the last line has no newline
          truncated = true;
        }
        line++;
        let stop = end;
        if (stop > start && buf[stop - 1] === CR) stop--;
        if (columns === null) {
          columns = parseHeader(buf.toString('utf8', start, stop), file);
        } else if (!isBlank(buf, start, stop)) {
          const err = parseRow(buf, start, stop, columns, writer, line);
          if (err) fail(line, truncated ? `${err} The file ends in the middle of this line: is it truncated?` : err);
        }
        start = end + 1;
        if (truncated) break;
      }
      if (!eof) {
        if (start === 0 && filled === CHUNK) fail(line + 1, `a line is longer than ${CHUNK / 1024 / 1024} MB: this is not a FER2013 CSV.`);
        buf.copyWithin(0, start, filled);
        filled -= start;
      }
      onProgress(writer.count, bytesRead, totalBytes);
    }
    if (columns === null) throw new AppError('INVALID_DATA', `${file} is empty: expected a header line "emotion,pixels,Usage" and one row per image.`, { file });
    if (writer.count === 0) throw new AppError('INVALID_DATA', `${file} has a header but no data rows.`, { file });
  } finally {
    await fh.close();
  }
}

/** Refuses binary files early, before their bytes turn into a confusing header error. */
function checkText(head: Buffer, file: string): void {
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head[i]!;
    if (c === 0) throw new AppError('INVALID_DATA', `${file} is not a CSV file: it contains binary data (a NUL byte at offset ${i}).`, { file });
    if (c < 32 && c !== NL && c !== CR && c !== TAB) control++;
  }
  if (control > head.length / 100) throw new AppError('INVALID_DATA', `${file} is not a CSV file: it contains binary data.`, { file });
  try {
    // Cut at the last newline so a multi-byte character split by the 8 KB window is not counted as invalid.
    const cut = head.lastIndexOf(NL);
    new TextDecoder('utf-8', { fatal: true }).decode(cut > 0 ? head.subarray(0, cut) : head);
  } catch {
    throw new AppError('INVALID_DATA', `${file} is not a CSV file: it is not UTF-8 text.`, { file });
  }
  // Lines end at LF (CRLF too). A file whose first line ends in a bare CR (classic Mac OS) would otherwise read
  // as one long header line and be reported as a missing Usage column.
  const cr = head.indexOf(CR);
  const nl = head.indexOf(NL);
  if (cr !== -1 && cr + 1 < head.length && head[cr + 1] !== NL && (nl === -1 || cr < nl)) {
    throw new AppError(
      'INVALID_DATA',
      `${file} has CR-only line endings (classic Mac OS), which are not read as line breaks. Save it with LF or CRLF line endings (e.g. tr '\\r' '\\n' < in.csv > out.csv) and import that.`,
      { file },
    );
  }
}

function parseHeader(text: string, file: string): Columns {
  const names = text
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((f) => f.trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase());
  if (names.length === 1 && names[0] === '') {
    throw new AppError('INVALID_DATA', `${file}, line 1: the header line is empty. The first line must name the columns, e.g. "emotion,pixels,Usage": remove the blank line(s) before it.`, { file, line: 1 });
  }
  // A column named twice leaves it open which one holds the data: refuse rather than pick one.
  for (const n of ['emotion', 'pixels', 'usage']) {
    const at = names.flatMap((name, i) => (name === n ? [i + 1] : []));
    if (at.length > 1) {
      throw new AppError('INVALID_DATA', `${file}, line 1: the header names the column ${n === 'usage' ? 'Usage' : n} ${at.length} times (columns ${at.join(', ')}): keep one.`, { file, line: 1 });
    }
  }
  const find = (n: string) => names.indexOf(n);
  const cols = { count: names.length, emotion: find('emotion'), pixels: find('pixels'), usage: find('usage') };
  const missing = (['emotion', 'pixels', 'usage'] as const).filter((k) => cols[k] === -1).map((k) => (k === 'usage' ? 'Usage' : k));
  if (missing.length && names.length === 1) {
    // No comma: not a CSV at all (a text file picked by mistake). Its first line is not echoed back: it may be anything
    // (a password file's first entry, over the bridge), and it would not help.
    throw new AppError('INVALID_DATA', `${file}, line 1: this is not a CSV file (its first line has no commas). FER2013's fer2013.csv starts with the header "emotion,pixels,Usage".`, { file, line: 1 });
  }
  if (missing.length) {
    const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
    const hint = /^\s*"?\d/.test(text)
      ? ' The first line looks like data: the header line is missing.'
      : names.includes('image name')
        ? ' This looks like the FER+ label file (fer2013new.csv), which holds votes but no pixels: import fer2013.csv, then add the votes with `fer ferplus import FILE --dataset NAME` (FER+ vote columns next to emotion/pixels/Usage are accepted and ignored).'
        : '';
    throw new AppError(
      'INVALID_DATA',
      `${file}, line 1: the header must name the columns emotion, pixels and Usage; ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing (found "${shown}").${hint}`,
      { file, line: 1 },
    );
  }
  return cols;
}

function isBlank(buf: Buffer, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) {
    const c = buf[i]!;
    if (c !== SPACE && c !== TAB && c !== CR) return false;
  }
  return true;
}

/** Parses one row into the writer. Returns an error message (without the location) or null. */
function parseRow(buf: Buffer, start: number, stop: number, cols: Columns, writer: PackedWriter, lineNo: number): string | null {
  let label = -1;
  let split = -1;
  let sawPixels = false;
  let field = 0;
  let pos = start;
  for (;;) {
    let fs = pos;
    let fe: number;
    let next: number;
    if (buf[pos] === QUOTE) {
      // Quoted field: ends at the quote that is not doubled.
      let q = pos + 1;
      for (;;) {
        q = buf.indexOf(QUOTE, q);
        if (q === -1 || q >= stop) return `field ${field + 1} opens a quote that never closes.`;
        if (buf[q + 1] === QUOTE) q += 2;
        else break;
      }
      fs = pos + 1;
      fe = q;
      next = q + 1;
      if (next < stop && buf[next] !== COMMA) return `unexpected text after the closing quote of field ${field + 1}.`;
    } else {
      const c = buf.indexOf(COMMA, pos);
      fe = c === -1 || c > stop ? stop : c;
      next = fe;
    }
    if (field === cols.emotion) {
      const text = trimmed(buf, fs, fe);
      if (!/^\d+$/.test(text) || Number(text) > 6) return `emotion "${text}" is not an integer 0–6 (0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral).`;
      label = Number(text);
    } else if (field === cols.usage) {
      const text = trimmed(buf, fs, fe);
      split = SPLITS.indexOf(text as (typeof SPLITS)[number]);
      if (split === -1) return `Usage "${text}" is not one of Training, PublicTest, PrivateTest.`;
    } else if (field === cols.pixels) {
      const err = parsePixels(buf, fs, fe, writer.slot());
      if (err) return err;
      sawPixels = true;
    }
    field++;
    if (next >= stop) break;
    pos = next + 1;
    if (pos === stop) {
      field++; // a trailing comma opens one more, empty field
      break;
    }
  }
  if (field !== cols.count) return `found ${field} field${field === 1 ? '' : 's'}, but the header has ${cols.count}.`;
  if (!sawPixels || label < 0 || split < 0) return 'the row is incomplete.';
  writer.commitSlot(label, split, `line ${lineNo}`);
  return null;
}

function trimmed(buf: Buffer, s: number, e: number): string {
  return buf.toString('latin1', s, e).trim();
}

/** Decodes space-separated 0–255 integers straight into `out`; exactly 2,304 of them. */
function parsePixels(buf: Buffer, s: number, e: number, out: Buffer): string | null {
  let n = 0;
  let value = 0;
  let digits = 0;
  let tokenStart = s;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      if (digits === 0) tokenStart = i;
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === SPACE || c === TAB) {
      if (digits) {
        if (value > 255) return `pixel ${n + 1} is ${buf.toString('latin1', tokenStart, i)}, outside 0–255.`;
        if (n < PIXELS_PER_IMAGE) out[n] = value;
        n++;
        value = 0;
        digits = 0;
      }
    } else {
      let j = i;
      while (j < e && buf[j] !== SPACE && buf[j] !== TAB) j++;
      const from = digits ? tokenStart : i;
      const token = buf.toString('utf8', from, Math.min(j, from + 20));
      return `pixel ${n + 1} is "${token}", not an integer 0–255.`;
    }
  }
  if (digits) {
    if (value > 255) return `pixel ${n + 1} is ${buf.toString('latin1', tokenStart, e)}, outside 0–255.`;
    if (n < PIXELS_PER_IMAGE) out[n] = value;
    n++;
  }
  if (n !== PIXELS_PER_IMAGE) return `expected ${PIXELS_PER_IMAGE} pixels (48×48), found ${n}.`;
  return null;
}
