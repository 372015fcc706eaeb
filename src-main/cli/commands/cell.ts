import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InvokeArgs } from '../../../src-shared/contract';
import { CONTACT_SHEET_OVERLAYS, type ContactSheetOverlay } from '../../../src-shared/contract/contact-sheet';
import { FERPLUS_CLASSES } from '../../../src-shared/contract/ferplus';
import { EMOTIONS, IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import { CliUsageError, numberOpt, stringOpt, type CliContext, type Command, type OptionValues } from '../command';
import { parseDedup, parseEmotion, parseId, pct } from './eval-shared';

export const CONTACT_SHEET_OPTIONS = { png: { type: 'string' }, columns: { type: 'string' }, scale: { type: 'string' }, overlay: { type: 'string' } } as const;

const isOverlay = (o: string): o is ContactSheetOverlay => (CONTACT_SHEET_OVERLAYS as readonly string[]).includes(o);

/** --png FILE: the same faces as one PNG grid through eval.contactSheet (its bounds are the contract's). */
export async function writeContactSheet(ctx: CliContext, values: OptionValues, evaluationId: number, source: InvokeArgs<'eval.contactSheet'>['source'], limit: number): Promise<{ path: string; width: number; height: number } | null> {
  const path = stringOpt(values, 'png');
  if (path === undefined) {
    const stray = ['columns', 'scale', 'overlay'].find((k) => values[k] !== undefined);
    if (stray) throw new CliUsageError(`--${stray} goes with --png FILE.`);
    return null;
  }
  const overlay = stringOpt(values, 'overlay') ?? 'none';
  if (!isOverlay(overlay)) throw new CliUsageError(`--overlay must be one of ${CONTACT_SHEET_OVERLAYS.join(', ')}, got "${overlay}".`);
  const sheet = await ctx.call('eval.contactSheet', { evaluationId, source, limit, columns: numberOpt(values, 'columns'), scale: numberOpt(values, 'scale'), overlay, path });
  ctx.print(`wrote a ${sheet.columns}×${sheet.rows} contact sheet (${sheet.cells.length} faces, ${sheet.width}×${sheet.height} px) to ${sheet.path}`);
  return { path: sheet.path!, width: sheet.width, height: sheet.height };
}

export const cellCommand: Command = {
  name: 'cell',
  summary: 'List the faces in one confusion cell (true a, predicted b), most confident first',
  usage: 'fer cell EVAL --true sad --pred fear [--offset N] [--limit N] [--pgm DIR] [--png FILE [--columns 10] [--scale 2] [--overlay none|hirescam|gradcam|gradient]] [--dedup none|exact|near] [--crowd disagree] [--json]\n  --png FILE writes the listed faces as one PNG grid for a figure: each face scale× (48 px × scale), true → predicted label and probability under it; --overlay draws the saliency map (as the cell review) over each.\n  --crowd disagree: only faces whose FER+ majority label differs from their FER2013 label (needs fer ferplus import).\n  --dedup leaves out faces that are exact (or near) copies of Training faces.\n  --pgm DIR writes each face as DIR/<sampleId>.pgm to look at.',
  options: { true: { type: 'string' }, pred: { type: 'string' }, offset: { type: 'string' }, limit: { type: 'string' }, pgm: { type: 'string' }, dedup: { type: 'string' }, crowd: { type: 'string' }, ...CONTACT_SHEET_OPTIONS },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    if (positionals.length !== 1) throw new CliUsageError('fer cell takes exactly one EVAL id.');
    const evaluationId = parseId(positionals[0], 'EVAL');
    const trueLabel = parseEmotion(stringOpt(values, 'true'), 'true');
    const predLabel = parseEmotion(stringOpt(values, 'pred'), 'pred');
    const crowd = stringOpt(values, 'crowd') ?? 'all';
    if (crowd !== 'all' && crowd !== 'disagree') throw new CliUsageError(`--crowd must be all or disagree, got "${crowd}".`);
    const page = await ctx.call('eval.cell', { evaluationId, trueLabel, predLabel, dedup: parseDedup(values), crowd, offset: numberOpt(values, 'offset') ?? 0, limit: numberOpt(values, 'limit') ?? 20 });
    ctx.print(`true ${EMOTIONS[trueLabel]}, predicted ${EMOTIONS[predLabel]}: ${page.total} faces; showing ${page.offset + 1}–${page.offset + page.items.length}`);
    ctx.print(`${'sample'.padStart(8)} ${'conf'.padStart(7)}  ${EMOTIONS.map((e) => e.slice(0, 7).padStart(7)).join(' ')}`);
    for (const it of page.items) {
      const crowdVotes = it.votes ? `  FER+ ${FERPLUS_CLASSES.map((c, k) => (it.votes![k] ? `${c} ${it.votes![k]}` : '')).filter(Boolean).join(', ')} → ${FERPLUS_CLASSES[it.crowdMajority!]}` : '';
      ctx.print(`${String(it.sampleId).padStart(8)} ${pct(it.confidence).padStart(7)}  ${it.probs.map((p) => p.toFixed(3).padStart(7)).join(' ')}${crowdVotes}`);
    }
    const dir = stringOpt(values, 'pgm');
    if (dir) {
      const px = Buffer.from(page.pixelsBase64, 'base64');
      mkdirSync(dir, { recursive: true });
      page.items.forEach((it, i) => {
        const header = Buffer.from(`P5\n${IMAGE_SIZE} ${IMAGE_SIZE}\n255\n`);
        writeFileSync(join(dir, `${it.sampleId}.pgm`), Buffer.concat([header, px.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE)]));
      });
      ctx.print(`wrote ${page.items.length} faces to ${dir}`);
    }
    const png = await writeContactSheet(ctx, values, evaluationId, { kind: 'cell', trueLabel, predLabel, dedup: parseDedup(values), crowd, offset: page.offset }, numberOpt(values, 'limit') ?? 20);
    // --json: the page without the pixel blob (use --pgm for the faces).
    return { total: page.total, offset: page.offset, items: page.items, ...(png ? { png } : {}) };
  },
};
