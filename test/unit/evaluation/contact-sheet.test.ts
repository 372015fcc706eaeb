import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactSheet } from '../../../src-shared/contract/contact-sheet';
import { heatRgb } from '../../../src-shared/heat';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import { readPixelsByIds } from '../../../src-main/data/packed-store';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { inProcessFer } from '../../helpers/cli';
import { fakeEval, insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/** eval.contactSheet (and `fer cell --png`): the PNG's size, and each face's own pixels at the cell it reports. */
let t: ReturnType<typeof tempWorkbench>;
let evalId: number;

beforeAll(async () => {
  t = tempWorkbench();
  const ds = (await createSyntheticDataset(t.wb, { perClass: 10, balanced: true, testFraction: 1, seed: 21, name: 'sheet' })).id;
  evalId = fakeEval(t.wb, insertRun(t.wb, ds, 1, false), ds, 'PrivateTest', 0.8, 3);
});
afterAll(() => t.cleanup());

async function decode(sheet: ContactSheet): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(Buffer.from(sheet.pngBase64, 'base64')).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Every sheet pixel of face k against the face's 48×48 pixels (through `tint` for an overlay), scaled `scale`×. */
function faceMismatches(img: { data: Buffer; width: number; channels: number }, cell: { x: number; y: number }, face: Uint8Array, scale: number, tint: (gray: number, i: number) => number[]): number {
  let bad = 0;
  for (let py = 0; py < IMAGE_SIZE * scale; py++) {
    for (let px = 0; px < IMAGE_SIZE * scale; px++) {
      const i = Math.floor(py / scale) * IMAGE_SIZE + Math.floor(px / scale);
      const want = tint(face[i]!, i);
      const o = ((cell.y + py) * img.width + cell.x + px) * img.channels;
      if (want.some((v, c) => Math.abs(img.data[o + c]! - Math.round(v)) > 0)) bad++;
    }
  }
  return bad;
}

describe('contact sheet PNG', () => {
  it('draws a confusion cell as a grid of the right size, each face pixel for pixel at its cell, white around it', async () => {
    const page = await call(handlers, t.wb, 'eval.cell', { evaluationId: evalId, trueLabel: 3, predLabel: 3, limit: 7 });
    expect(page.items.length).toBe(7);
    const sheet = await call(handlers, t.wb, 'eval.contactSheet', { evaluationId: evalId, source: { kind: 'cell', trueLabel: 3, predLabel: 3 }, limit: 7, columns: 3, scale: 3 });
    // 3 columns × 3 rows; a 144 px face is wider than the caption's minimum, so cells are 144 wide, 144 + 32 tall.
    expect(sheet).toMatchObject({ columns: 3, rows: 3, faceSize: 144, width: 8 + 3 * 144 + 2 * 6 + 8, height: 8 + 3 * (144 + 32) + 2 * 6 + 8, path: null });
    const img = await decode(sheet);
    expect([img.width, img.height]).toEqual([sheet.width, sheet.height]);
    expect(sheet.cells.map((c) => c.sampleId)).toEqual(page.items.map((i) => i.sampleId));
    expect(sheet.cells[4]).toMatchObject({ x: 8 + 144 + 6, y: 8 + 176 + 6 });
    const faces = readPixelsByIds(t.wb, page.items.map((i) => i.sampleId));
    sheet.cells.forEach((cell, k) => {
      const face = faces.subarray(k * PIXELS_PER_IMAGE, (k + 1) * PIXELS_PER_IMAGE);
      expect(faceMismatches(img, cell, face, 3, (g) => [g, g, g]), `face ${k}`).toBe(0);
      // Another face at this cell would not match: the check tells faces apart.
      const other = faces.subarray(((k + 1) % 7) * PIXELS_PER_IMAGE, (((k + 1) % 7) + 1) * PIXELS_PER_IMAGE);
      expect(faceMismatches(img, cell, other, 3, (g) => [g, g, g])).toBeGreaterThan(1000);
      // The margin or gap just left of each face is white.
      const o = (cell.y * img.width + cell.x - 1) * img.channels;
      expect([...img.data.subarray(o, o + 3)]).toEqual([255, 255, 255]);
    });
    // The caption strip under the first face holds dark text pixels.
    const caption = Array.from({ length: 32 * 144 }, (_, j) => img.data[((8 + 144 + Math.floor(j / 144)) * img.width + 8 + (j % 144)) * img.channels]!);
    expect(caption.filter((v) => v < 128).length).toBeGreaterThan(20);
  });

  it('draws the likely label issues, a cached saliency map blended over each face, and writes the file', async () => {
    const issues = await call(handlers, t.wb, 'eval.labelIssues', { evaluationId: evalId, limit: 5 });
    expect(issues.items.length).toBe(5);
    const preds = (await call(handlers, t.wb, 'eval.sampleProbs', { evaluationId: evalId, sampleIds: issues.items.map((i) => i.sampleId) })).map((p) => [p.sampleId, p.predLabel] as const);
    // Cached HiResCAM maps (a gradient across the face) so no model is needed: the sheet must reuse them.
    const map = Uint8Array.from({ length: PIXELS_PER_IMAGE }, (_, i) => Math.round((255 * (i % IMAGE_SIZE)) / (IMAGE_SIZE - 1)));
    const zeros = Buffer.alloc(PIXELS_PER_IMAGE);
    const ins = t.wb.db.prepare('INSERT INTO saliency_maps (evaluation_id, sample_id, target_label, layer, gradcam, hirescam, gradient) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const [id, pred] of preds) ins.run(evalId, id, pred, 'conv', zeros, Buffer.from(map), zeros);
    const file = join(t.dir, 'issues.png');
    const sheet = await call(handlers, t.wb, 'eval.contactSheet', { evaluationId: evalId, source: { kind: 'labelIssues' }, limit: 5, columns: 10, scale: 1, overlay: 'hirescam', path: file });
    // 5 faces in one row; 48 px faces sit centred in 112 px caption-wide cells.
    expect(sheet).toMatchObject({ columns: 5, rows: 1, width: 8 + 5 * 112 + 4 * 6 + 8, height: 8 + 48 + 32 + 8, path: file });
    expect(readFileSync(file).toString('base64')).toBe(sheet.pngBase64);
    expect(sheet.cells.map((c) => c.sampleId)).toEqual(issues.items.map((i) => i.sampleId));
    expect(sheet.cells[1]).toMatchObject({ x: 8 + 112 + 6 + 32, y: 8 });
    const img = await decode(sheet);
    const faces = Buffer.from(issues.pixelsBase64, 'base64');
    sheet.cells.forEach((cell, k) => {
      const face = faces.subarray(k * PIXELS_PER_IMAGE, (k + 1) * PIXELS_PER_IMAGE);
      expect(faceMismatches(img, cell, face, 1, (g, i) => heatRgb(g, map[i]! / 255)), `face ${k}`).toBe(0);
    });
  });

  it('refuses an empty cell and bad sizes; fer cell --png writes the sheet', async () => {
    const empty = await call(handlers, t.wb, 'eval.cell', { evaluationId: evalId, trueLabel: 0, predLabel: 1, limit: 500, offset: 0 });
    await expect(call(handlers, t.wb, 'eval.contactSheet', { evaluationId: evalId, source: { kind: 'cell', trueLabel: 0, predLabel: 1, offset: empty.total + 5 } })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(new RegExp(`true angry, predicted disgust of evaluation ${evalId} has no faces from offset ${empty.total + 5}`)) });
    await expect(call(handlers, t.wb, 'eval.contactSheet', { evaluationId: evalId, source: { kind: 'cell', trueLabel: 0, predLabel: 1 }, columns: 0 })).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringMatching(/columns/) });
    await expect(call(handlers, t.wb, 'eval.contactSheet', { evaluationId: evalId, source: { kind: 'cell', trueLabel: 0, predLabel: 1 }, scale: 9 })).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringMatching(/scale/) });

    const fer = inProcessFer(t.dir);
    const file = join(t.dir, 'cell.png');
    const r = await fer('cell', String(evalId), '--true', 'happy', '--pred', 'happy', '--limit', '4', '--png', file, '--columns', '2', '--scale', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote a 2×2 contact sheet`);
    const meta = await sharp(file).metadata();
    expect([meta.width, meta.height]).toEqual([8 + 2 * 112 + 6 + 8, 8 + 2 * (96 + 32) + 6 + 8]);
  });
});
