import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { prng } from './rng';
import type { TtaViewSpec } from '../../src-shared/contract/evaluation';

/**
 * Test-time augmentation views over raw 48×48 grayscale faces, before the model's own input
 * preparation (resize, channels, normalisation), so every model gets the same views. The paper
 * averaged the original, its horizontal mirror and seven augmented images.
 */

export interface TtaOptions {
  /** K: how many randomly augmented views besides the original (and the mirror). */
  augmented: number;
  /** Add the horizontal mirror of the original as a view. */
  flip: boolean;
  /** Ranges the augmented views draw from, as in training: ± degrees, ± fractions. */
  rotation: number;
  zoom: number;
  shiftX: number;
  shiftY: number;
  /** Seed for drawing the augmented views, so an evaluation can be repeated exactly. */
  seed: number;
}

export const MAX_TTA_VIEWS = 32;

/** The paper's augmentation ranges: ±10° rotation, ±10% zoom, ±10% shifts, mirroring. */
export const DEFAULT_TTA: TtaOptions = { augmented: 0, flip: false, rotation: 10, zoom: 0.1, shiftX: 0.1, shiftY: 0.1, seed: 0 };

/** One view: an affine map applied to every face the same way, recorded with the evaluation as it is. */
export type TtaView = TtaViewSpec;

export const IDENTITY_VIEW: TtaView = { name: 'original', flip: false, angle: 0, scale: 1, dx: 0, dy: 0 };

export function validateTta(opts: TtaOptions): void {
  if (!Number.isInteger(opts.augmented) || opts.augmented < 0 || opts.augmented > MAX_TTA_VIEWS) {
    throw new RangeError(`TTA view count must be an integer from 0 to ${MAX_TTA_VIEWS}, got ${opts.augmented}`);
  }
  for (const [k, max] of [['rotation', 180], ['zoom', 0.9], ['shiftX', 0.5], ['shiftY', 0.5]] as const) {
    const v = opts[k];
    if (!Number.isFinite(v) || v < 0 || v > max) throw new RangeError(`TTA ${k} must be within 0..${max}, got ${v}`);
  }
}

/** The views in order: original, mirror (if asked), then K augmented draws. */
export function ttaViews(opts: TtaOptions): TtaView[] {
  validateTta(opts);
  const views: TtaView[] = [IDENTITY_VIEW];
  if (opts.flip) views.push({ ...IDENTITY_VIEW, name: 'flip', flip: true });
  const rand = prng(opts.seed * 7919 + 17);
  const uni = (r: number) => (rand() * 2 - 1) * r;
  for (let i = 0; i < opts.augmented; i++) {
    const flip = rand() < 0.5;
    const angle = uni(opts.rotation);
    const scale = 1 + uni(opts.zoom);
    const dx = uni(opts.shiftX) * IMAGE_SIZE;
    const dy = uni(opts.shiftY) * IMAGE_SIZE;
    views.push({ name: `aug${i + 1}`, flip, angle: round4(angle), scale: round4(scale), dx: round4(dx), dy: round4(dy) });
  }
  return views;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export function isIdentity(v: TtaView): boolean {
  return !v.flip && v.angle === 0 && v.scale === 1 && v.dx === 0 && v.dy === 0;
}

/**
 * Applies a view to n packed faces (n×2304 uint8). Bilinear sampling through the inverse map with
 * edge pixels repeated outside the face, like Keras' fill_mode="nearest" used in training.
 */
export function applyView(pixels: Uint8Array, n: number, view: TtaView): Uint8Array {
  if (pixels.length < n * PIXELS_PER_IMAGE) throw new RangeError(`applyView: ${pixels.length} bytes for ${n} faces`);
  if (isIdentity(view)) return pixels.subarray(0, n * PIXELS_PER_IMAGE);
  const S = IMAGE_SIZE;
  const out = new Uint8Array(n * PIXELS_PER_IMAGE);
  const c = (S - 1) / 2;
  const rad = (view.angle * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  // Precompute the source coordinate of every output pixel once; all faces share the map.
  const sx = new Float32Array(PIXELS_PER_IMAGE);
  const sy = new Float32Array(PIXELS_PER_IMAGE);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      // output = R·(scale·(src − c)) + c + shift  ⇒  src = R⁻¹·(output − c − shift)/scale + c
      const u = (x - c - view.dx) / view.scale;
      const v = (y - c - view.dy) / view.scale;
      let srcX = cos * u + sin * v + c;
      const srcY = -sin * u + cos * v + c;
      if (view.flip) srcX = S - 1 - srcX;
      sx[y * S + x] = Math.min(S - 1, Math.max(0, srcX));
      sy[y * S + x] = Math.min(S - 1, Math.max(0, srcY));
    }
  }
  for (let i = 0; i < n; i++) {
    const base = i * PIXELS_PER_IMAGE;
    for (let j = 0; j < PIXELS_PER_IMAGE; j++) {
      const fx = sx[j]!;
      const fy = sy[j]!;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const x1 = Math.min(S - 1, x0 + 1);
      const y1 = Math.min(S - 1, y0 + 1);
      const ax = fx - x0;
      const ay = fy - y0;
      const p00 = pixels[base + y0 * S + x0]!;
      const p01 = pixels[base + y0 * S + x1]!;
      const p10 = pixels[base + y1 * S + x0]!;
      const p11 = pixels[base + y1 * S + x1]!;
      const top = p00 + (p01 - p00) * ax;
      const bottom = p10 + (p11 - p10) * ax;
      out[base + j] = Math.round(top + (bottom - top) * ay);
    }
  }
  return out;
}
