import sharp from 'sharp';
import type { InvokeParsedArgs } from '../../src-shared/contract';
import type { ContactSheet } from '../../src-shared/contract/contact-sheet';
import { AppError } from '../../src-shared/errors';
import { heatRgb } from '../../src-shared/heat';
import { EMOTIONS, IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { cellPage } from './analyses';
import { labelIssues } from './label-issues';
import { saliencyPage } from './saliency';
import { ensembleMembers } from '../store/ensembles';
import { getSummary } from '../store/evaluations';
import { writeFileAtomic } from '../write-file';

/** Layout, in sheet pixels. The caption font is fixed: it is read at print size, whatever the face scale. */
const MARGIN = 8;
const GAP = 6;
const FONT_SIZE = 11;
const LINE = 14;
const CAPTION = 2 * LINE + 4;
/** Wide enough for "surprise → disgust" at FONT_SIZE. */
const MIN_CELL_WIDTH = 112;
/** A sheet larger than this (about 120 MB of RGB) is refused rather than built. */
const MAX_PIXELS = 40_000_000;

interface SheetFace {
  sampleId: number;
  lines: [string, string];
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The faces and their captions, in the order eval.cell or eval.labelIssues gives them. */
function gather(wb: Workbench, args: InvokeParsedArgs<'eval.contactSheet'>): { faces: SheetFace[]; pixels: Uint8Array; empty: string } {
  const src = args.source;
  if (src.kind === 'cell') {
    const page = cellPage(wb, args.evaluationId, src.trueLabel, src.predLabel, src.offset, args.limit, { dedup: src.dedup, crowd: src.crowd });
    return {
      faces: page.items.map((it) => ({ sampleId: it.sampleId, lines: [`${EMOTIONS[it.trueLabel]} → ${EMOTIONS[it.predLabel]}`, `p ${it.confidence.toFixed(2)} · #${it.sampleId}`] })),
      pixels: Buffer.from(page.pixelsBase64, 'base64'),
      empty: `The cell true ${EMOTIONS[src.trueLabel]}, predicted ${EMOTIONS[src.predLabel]} of evaluation ${args.evaluationId} has no faces${src.offset ? ` from offset ${src.offset}` : ''}${src.dedup !== 'none' || src.crowd !== 'all' ? ' with these filters' : ''}.`,
    };
  }
  const rep = labelIssues(wb, args.evaluationId, args.limit, src.rankBy);
  return {
    faces: rep.items.map((it) => ({ sampleId: it.sampleId, lines: [`${EMOTIONS[it.givenLabel]} → ${EMOTIONS[it.suggestedLabel]}?`, `p(label) ${it.selfConfidence.toFixed(2)} · #${it.sampleId}`] })),
    pixels: Buffer.from(rep.pixelsBase64, 'base64'),
    empty: `Evaluation ${args.evaluationId} flags no likely label issues: there is nothing to draw.`,
  };
}

/** The chosen saliency maps of the faces, in their order (computed once and cached per evaluation, as in the cell review). */
async function overlays(wb: Workbench, args: InvokeParsedArgs<'eval.contactSheet'>, ids: number[]): Promise<Uint8Array | null> {
  if (args.overlay === 'none') return null;
  const ev = getSummary(wb.db, args.evaluationId);
  if (ev.ensembleId !== null) {
    // Refused rather than silently drawing one member's maps as if they were the ensemble's.
    const members = ensembleMembers(wb.db, ev.ensembleId).map((m) => m.evaluationId);
    throw new AppError(
      'INVALID_INPUT',
      `Evaluation ${args.evaluationId} is an ensemble's: it has a saliency map per member, not one per face. Draw this sheet without an overlay, or with it from a member's evaluation (${members.join(', ')}).`,
    );
  }
  const page = await saliencyPage(wb, args.evaluationId, ids, args.target);
  if (page.kind !== 'model') throw new AppError('INTERNAL', `Evaluation ${args.evaluationId} answered an ensemble's saliency.`);
  const key = args.overlay === 'hirescam' ? 'hirescamBase64' : args.overlay === 'gradcam' ? 'gradcamBase64' : 'gradientBase64';
  return Buffer.from(page[key], 'base64');
}

/**
 * eval.contactSheet: the faces on a white sheet in a grid, each drawn scale× pixel for pixel (no smoothing, so the
 * 48×48 data stays honest in a figure) with two caption lines under it; the captions are an SVG layer composited
 * by sharp (librsvg), which only ever covers the caption strips.
 */
export async function contactSheet(wb: Workbench, args: InvokeParsedArgs<'eval.contactSheet'>): Promise<ContactSheet> {
  const { faces, pixels, empty } = gather(wb, args);
  if (!faces.length) throw new AppError('INVALID_INPUT', empty);
  const maps = await overlays(
    wb,
    args,
    faces.map((f) => f.sampleId),
  );
  const faceSize = IMAGE_SIZE * args.scale;
  const columns = Math.min(args.columns, faces.length);
  const rows = Math.ceil(faces.length / columns);
  const cellW = Math.max(faceSize, MIN_CELL_WIDTH);
  const cellH = faceSize + CAPTION;
  const width = 2 * MARGIN + columns * cellW + (columns - 1) * GAP;
  const height = 2 * MARGIN + rows * cellH + (rows - 1) * GAP;
  if (width * height > MAX_PIXELS) {
    throw new AppError('INVALID_INPUT', `A ${width}×${height} sheet is too large to build; use a smaller scale (now ${args.scale}) or fewer faces (now ${faces.length}).`);
  }
  const rgb = Buffer.alloc(width * height * 3, 255);
  const texts: string[] = [];
  const cells = faces.map((f, k) => {
    const col = k % columns;
    const row = Math.floor(k / columns);
    const left = MARGIN + col * (cellW + GAP);
    const x = left + Math.floor((cellW - faceSize) / 2);
    const y = MARGIN + row * (cellH + GAP);
    for (let py = 0; py < faceSize; py++) {
      const src = k * PIXELS_PER_IMAGE + Math.floor(py / args.scale) * IMAGE_SIZE;
      for (let px = 0; px < faceSize; px++) {
        const i = src + Math.floor(px / args.scale);
        const gray = pixels[i]!;
        const [r, g, b] = maps ? heatRgb(gray, maps[i]! / 255) : [gray, gray, gray];
        const o = ((y + py) * width + x + px) * 3;
        rgb[o] = Math.round(r);
        rgb[o + 1] = Math.round(g);
        rgb[o + 2] = Math.round(b);
      }
    }
    const cx = left + cellW / 2;
    texts.push(`<text x="${cx}" y="${y + faceSize + LINE}">${xml(f.lines[0])}</text>`, `<text x="${cx}" y="${y + faceSize + 2 * LINE}" class="m">${xml(f.lines[1])}</text>`);
    return { sampleId: f.sampleId, x, y };
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<style>text{font-family:'DejaVu Sans',Arial,sans-serif;font-size:${FONT_SIZE}px;text-anchor:middle;fill:#000}.m{fill:#444}</style>${texts.join('')}</svg>`;
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  const path = args.path === undefined ? null : writeFileAtomic(args.path, png);
  return { width, height, columns, rows, faceSize, cells, pngBase64: png.toString('base64'), path };
}
