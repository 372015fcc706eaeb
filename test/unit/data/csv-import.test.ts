import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { importDataset } from '../../../src-main/data/import';
import { loadSplit } from '../../../src-main/data/packed-store';
import { synthSamples, writeSynthCsv } from '../../../src-main/data/synth';
import { expectNothingWritten } from '../../helpers/data-assertions';
import { useFreshWorkbench } from '../../helpers/workbench';

const ctx = useFreshWorkbench();

const px = (seed: number) => Array.from({ length: 2304 }, (_, i) => (i * 7 + seed) % 256).join(' ');
function csv(name: string, text: string | Buffer): string {
  const file = join(ctx.dir, name);
  writeFileSync(file, text);
  return file;
}
const GOOD = `emotion,pixels,Usage\n0,${px(1)},Training\n3,${px(2)},PublicTest\n6,${px(3)},PrivateTest\n`;

async function importError(file: string, name = 'bad'): Promise<AppError> {
  const err = await importDataset(ctx.wb, { path: file, name }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('CSV import', () => {
  it('imports the synthetic fer2013.csv with exactly the generator counts and pixels', async () => {
    const file = join(ctx.dir, 'fer2013.csv');
    const counts = writeSynthCsv(file, { perClass: 8, seed: 4 });
    const summary = await importDataset(ctx.wb, { path: file, name: 'syn' });
    expect(summary.splits).toEqual(counts);
    expect(summary.format).toBe('csv');
    const expected = [...synthSamples({ perClass: 8, seed: 4 })].filter((s) => s.split === 'PublicTest');
    const got = loadSplit(ctx.wb, summary.id, 'PublicTest');
    expect(got.n).toBe(expected.length);
    expected.forEach((s, i) => {
      expect(got.labels[i]).toBe(s.label);
      expect(Buffer.from(got.pixels.subarray(i * 2304, (i + 1) * 2304)).equals(Buffer.from(s.pixels))).toBe(true);
    });
  });

  it('accepts reordered and extra (FER+) columns, quotes, CRLF, a BOM, blank lines and no final newline', async () => {
    const text =
      '\uFEFFUsage,"pixels",neutral,happiness,emotion\r\n' +
      `Training,"${px(1)}",4,6,3\r\n\r\n` +
      `PrivateTest,${px(2)},10,0,5`;
    const summary = await importDataset(ctx.wb, { path: csv('ferplus.csv', text), name: 'plus' });
    expect(summary.sampleCount).toBe(2);
    expect(summary.splits[0]!.perClass[3]).toBe(1);
    expect(summary.splits[2]!.perClass[5]).toBe(1);
    const row = loadSplit(ctx.wb, summary.id, 'Training');
    expect(Array.from(row.pixels.subarray(0, 4))).toEqual([1, 8, 15, 22]);
    const src = ctx.wb.db.prepare('SELECT source FROM samples ORDER BY idx').all() as { source: string }[];
    expect(src.map((s) => s.source)).toEqual(['line 2', 'line 4']);
  });

  const bad: [string, string | Buffer, RegExp][] = [
    ['wrong pixel count', `emotion,pixels,Usage\n0,${px(1)},Training\n1,${px(1).split(' ').slice(1).join(' ')},Training\n`, /line 3: expected 2304 pixels \(48×48\), found 2303/],
    ['non-numeric pixel', `emotion,pixels,Usage\n0,${px(1).replace(/^1 /, '1 x7 ')},Training\n`, /line 2: pixel 2 is "x7", not an integer 0–255/],
    ['negative pixel', `emotion,pixels,Usage\n0,-3 ${px(1).split(' ').slice(1).join(' ')},Training\n`, /line 2: pixel 1 is "-3", not an integer/],
    ['pixel out of range', `emotion,pixels,Usage\n0,${px(1)},Training\n0,300 ${px(1).split(' ').slice(1).join(' ')},Training\n`, /line 3: pixel 1 is 300, outside 0–255/],
    ['emotion outside 0–6', `emotion,pixels,Usage\n7,${px(1)},Training\n`, /line 2: emotion "7" is not an integer 0–6/],
    ['unknown Usage', `emotion,pixels,Usage\n0,${px(1)},Validation\n`, /line 2: Usage "Validation" is not one of Training, PublicTest, PrivateTest/],
    ['missing header', `0,${px(1)},Training\n`, /line 1: the header must name the columns emotion, pixels and Usage.*header line is missing/],
    ['a text file that is not a CSV (its first line is not echoed)', 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n', /line 1: this is not a CSV file \(its first line has no commas\)\. FER2013's fer2013\.csv starts with the header "emotion,pixels,Usage"\.$/],
    ['renamed header', `label,pixels,Usage\n0,${px(1)},Training\n`, /line 1: the header must name .*emotion is missing \(found "label,pixels,Usage"\)/],
    ['truncated last line', `${GOOD}2,${px(4).slice(0, 3000)}`, /line 5: .*The file ends in the middle of this line: is it truncated\?/],
    ['missing field', `emotion,pixels,Usage\n0,${px(1)}\n`, /line 2: found 2 fields, but the header has 3/],
    ['empty file', '', /is empty: expected a header line/],
    ['CR-only line endings', `emotion,pixels,Usage\r0,${px(1)},Training\r`, /has CR-only line endings \(classic Mac OS\).*LF or CRLF/],
    ['blank first line', `\n${GOOD}`, /line 1: the header line is empty\. The first line must name the columns/],
    ['duplicated pixels column', `emotion,pixels,Usage,pixels\n0,${px(1)},Training,${px(2)}\n`, /line 1: the header names the column pixels 2 times \(columns 2, 4\): keep one/],
    ['header only', 'emotion,pixels,Usage\n', /has a header but no data rows/],
    ['binary file', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), /is not a CSV file: it contains binary data/],
    ['non-UTF-8 bytes', Buffer.concat([Buffer.from('emotion,pixels,Usage\n0,'), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('\n')]), /is not a CSV file: it is not UTF-8 text/],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects ${what} naming the file, and writes nothing`, async () => {
      const file = csv(`${what.replace(/\W+/g, '-')}.csv`, text);
      const err = await importError(file);
      expect(err.code).toBe('INVALID_DATA');
      expect(err.message).toContain(file);
      expect(err.message).toMatch(message);
      expectNothingWritten(ctx.wb);
    });
  }

  it('rejects a path that does not exist', async () => {
    const err = await importError(join(ctx.dir, 'nope.csv'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/nope\.csv does not exist/);
    expectNothingWritten(ctx.wb);
  });

  it('rejects a duplicate dataset name and keeps the first dataset intact', async () => {
    const file = csv('good.csv', GOOD);
    const first = await importDataset(ctx.wb, { path: file, name: 'fer' });
    const err = await importError(file, 'fer');
    expect(err.code).toBe('ALREADY_EXISTS');
    expect(err.message).toMatch(/A dataset named "fer" already exists/);
    expect((ctx.wb.db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n).toBe(3);
    expect(loadSplit(ctx.wb, first.id, 'Training').n).toBe(1);
  });

  it('emits throttled import.progress events ending in done', async () => {
    const file = join(ctx.dir, 'fer2013.csv');
    writeSynthCsv(file, { perClass: 5, seed: 1 });
    const events: { phase: string; done: number; importId: string }[] = [];
    const stop = ctx.wb.events.subscribe((name, payload) => {
      if (name === 'import.progress') events.push(payload as (typeof events)[number]);
    });
    const summary = await importDataset(ctx.wb, { path: file, name: 'p', importId: 'abc' });
    stop();
    expect(events[0]!.phase).toBe('reading');
    expect(events.at(-1)).toMatchObject({ phase: 'done', done: summary.sampleCount, importId: 'abc' });
    expect(events.length).toBeLessThan(10);
  });
});

describe('CSV import hints', () => {
  it('recognises the FER+ label file, which has votes but no pixels', async () => {
    const file = csv('fer2013new.csv', 'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\nTraining,fer0000000.png,4,0,0,1,3,2,0,0,0,0\n');
    const err = await importError(file);
    expect(err.message).toMatch(/line 1: .*emotion, pixels are missing.*FER\+ label file/);
    expectNothingWritten(ctx.wb);
  });
});
