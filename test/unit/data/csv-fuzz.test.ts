import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { importDataset } from '../../../src-main/data/import';
import { listDatasets } from '../../../src-main/data/packed-store';
import { mixSeed, Rng } from '../../../src-main/data/prng';
import { writeSynthCsv } from '../../../src-main/data/synth';
import { expectNoTempImports, expectWholeDatasets } from '../../helpers/data-assertions';
import { useFreshWorkbench } from '../../helpers/workbench';

/**
 * Mutation fuzzing of the CSV importer. Each case mutates a small valid fer2013.csv one to three times and imports
 * it through importDataset (what `fer import` and datasets.import call). Whatever the bytes, the import must either
 * succeed with a whole dataset or fail with INVALID_DATA naming the file, and a failure must leave the dataset list
 * and the home's folders as they were. importDataset wraps any non-AppError as IO_ERROR, so accepting only
 * INVALID_DATA is what catches a TypeError or RangeError escaping the parser.
 *
 * Bounded for CI: FER_FUZZ_CASES cases (default 200) or FER_FUZZ_MS milliseconds (default 8,000), whichever
 * ends first. FER_FUZZ_SEED (default 1313) picks another sequence; a failure names the seed and case to rerun.
 */
const SEED = Number(process.env.FER_FUZZ_SEED ?? 1313);
const CASES = Number(process.env.FER_FUZZ_CASES ?? 200);
const BUDGET_MS = Number(process.env.FER_FUZZ_MS ?? 8000);

const ctx = useFreshWorkbench();

type Mutation = (csv: Buffer, r: Rng) => Buffer;
const pick = <T>(r: Rng, items: readonly T[]): T => items[r.int(items.length)]!;
const lines = (csv: Buffer) => csv.toString('latin1').split('\n');
const unlines = (ls: string[]) => Buffer.from(ls.join('\n'), 'latin1');
/** Applies `edit` to the fields of the header, of one random line, or of every line. */
function onFields(csv: Buffer, r: Rng, edit: (fields: string[]) => void): Buffer {
  const ls = lines(csv);
  const scope = r.int(3);
  const target = scope === 0 ? 0 : r.int(ls.length);
  return unlines(ls.map((l, i) => (scope === 2 || i === target ? ((f) => (edit(f), f.join(',')))(l.split(',')) : l)));
}
/** Applies `edit` to one field of one random data row (field 0 emotion, 1 pixels, 2 Usage in the base file). */
function onDataField(csv: Buffer, r: Rng, field: number, edit: (value: string) => string): Buffer {
  const ls = lines(csv);
  const row = 1 + r.int(Math.max(1, ls.length - 2));
  if (row >= ls.length) return csv; // an earlier mutation left no data row
  const f = ls[row]!.split(',');
  if (f.length > field) f[field] = edit(f[field]!);
  ls[row] = f.join(',');
  return unlines(ls);
}

const MUTATIONS: Record<string, Mutation> = {
  truncate: (csv, r) => csv.subarray(0, r.int(csv.length)),
  dropColumn: (csv, r) => onFields(csv, r, (f) => void f.splice(r.int(f.length), 1)),
  duplicateColumn: (csv, r) => onFields(csv, r, (f) => void f.splice(r.int(f.length + 1), 0, f[r.int(f.length)]!)),
  swapColumns: (csv, r) =>
    onFields(csv, r, (f) => {
      const [i, j] = [r.int(f.length), r.int(f.length)];
      [f[i], f[j]] = [f[j]!, f[i]!];
    }),
  badPixel: (csv, r) =>
    onDataField(csv, r, 1, (px) => {
      const t = px.split(' ');
      t[r.int(t.length)] = pick(r, ['256', '-1', 'x', '1.5', '', '99999999999999999999', '0x1f', 'NaN', '\u0661', '1e2', '+4', '\t']);
      return t.join(' ');
    }),
  pixelCount: (csv, r) =>
    onDataField(csv, r, 1, (px) => {
      const t = px.split(' ');
      const k = 1 + r.int(3000);
      return (r.chance(0.5) ? t.slice(0, Math.max(0, t.length - k)) : [...t, ...t.slice(0, k)]).join(' ');
    }),
  badEmotion: (csv, r) => onDataField(csv, r, 0, () => pick(r, ['7', '-1', '', 'a', '3.0', ' 3 ', '99999999999999999999', '"3"', '"3', '0x3'])),
  badUsage: (csv, r) => onDataField(csv, r, 2, () => pick(r, ['Validation', 'training', '', ' Training ', 'PublicTest\t', '"PrivateTest"', 'Private"Test'])),
  randomBytes: (csv, r) => {
    const out = Buffer.from(csv);
    for (let n = 1 + r.int(8); n > 0; n--) out[r.int(out.length)] = r.int(256);
    return out;
  },
  lineEndings: (csv, r) => {
    const all = r.chance(0.5);
    const ending = pick(r, ['\r\n', '\r', '\n\r']);
    const ls = lines(csv);
    return Buffer.from(ls.map((l, i) => (i === ls.length - 1 ? l : l + (all || r.chance(0.3) ? ending : '\n'))).join(''), 'latin1');
  },
  bom: (csv, r) => Buffer.concat([Buffer.from(pick(r, [[0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]])), csv]),
  emptyLines: (csv, r) => {
    const ls = lines(csv);
    for (let n = 1 + r.int(3); n > 0; n--) ls.splice(r.int(ls.length + 1), 0, pick(r, ['', '\r', '  ', '\t', ',,']));
    return unlines(ls);
  },
  hugeLine: (csv, r) => {
    const ls = lines(csv);
    // Up to 5 MB: past the importer's 4 MB line limit in about one case in five.
    const size = r.chance(0.2) ? 4_200_000 + r.int(800_000) : 10_000 + r.int(100_000);
    ls.splice(1 + r.int(ls.length), 0, `0,${'1 '.repeat(size / 2)},Training`);
    return unlines(ls);
  },
  quote: (csv, r) => onFields(csv, r, (f) => void (f[r.int(f.length)] = pick(r, ['"', '""', `"${f[0]}"`, `"${f[0]}""`, `"a""b"`]))),
  dropOrRepeatLine: (csv, r) => {
    const ls = lines(csv);
    const i = r.int(ls.length);
    if (r.chance(0.5)) ls.splice(i, 1);
    else ls.splice(i, 0, ls[i]!);
    return unlines(ls);
  },
};

describe('CSV import under random mutations', () => {
  it(`either imports a whole dataset or fails with INVALID_DATA, leaving nothing (seed ${SEED})`, async () => {
    const base = join(ctx.dir, 'base.csv');
    // Five rows over all three splits: small enough for ~100 imports in seconds.
    writeSynthCsv(base, { perClass: 1, seed: 3, counts: [[1, 0, 0, 1, 0, 0, 1], [0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0]] });
    const valid = readFileSync(base);
    const names = Object.keys(MUTATIONS);
    const outcomes = { imported: 0, rejected: 0 };
    const started = Date.now();
    let i = 0;
    for (; i < CASES && Date.now() - started < BUDGET_MS; i++) {
      const r = new Rng(mixSeed(SEED, i));
      // Case 0 is the file unmutated: the harness must be able to see a success.
      const applied = i === 0 ? [] : Array.from({ length: 1 + r.int(3) }, () => pick(r, names));
      const bytes = applied.reduce<Buffer>((csv, m) => MUTATIONS[m]!(csv, r), valid);
      const file = join(ctx.dir, `case-${i}.csv`);
      writeFileSync(file, bytes);
      const what = `FER_FUZZ_SEED=${SEED} case ${i} [${applied.join(', ')}]`;
      const before = listDatasets(ctx.wb).map((d) => d.name);
      const result = await importDataset(ctx.wb, { path: file, name: `case-${i}` }).then(
        (summary) => ({ summary }),
        (error: unknown) => ({ error }),
      );
      if ('summary' in result) {
        outcomes.imported++;
        expect(result.summary.name, what).toBe(`case-${i}`);
        expect(expectWholeDatasets(ctx.wb), what).toEqual([...before, `case-${i}`]);
      } else {
        outcomes.rejected++;
        const err = result.error;
        expect(err, `${what}: ${String(err)}`).toBeInstanceOf(AppError);
        expect((err as AppError).code, `${what}: ${(err as AppError).message}`).toBe('INVALID_DATA');
        expect((err as AppError).message, what).toContain(file);
        expect(expectWholeDatasets(ctx.wb), what).toEqual(before);
      }
      expectNoTempImports(ctx.wb);
    }
    // Both outcomes must occur, or the mutations (or the harness) are not testing anything.
    expect(outcomes.imported, JSON.stringify(outcomes)).toBeGreaterThan(1);
    expect(outcomes.rejected, JSON.stringify(outcomes)).toBeGreaterThan(i / 3);
    console.log(`csv fuzz: seed ${SEED}, ${i} cases in ${Date.now() - started} ms: ${JSON.stringify(outcomes)}`);
  });
});
