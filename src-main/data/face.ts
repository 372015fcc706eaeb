import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../src-shared/labels';
import type { Rng } from './prng';

/**
 * A procedurally drawn 48×48 face. The expression lives only in geometry (brows, eyes, mouth) so a model
 * has to look at shapes, while identity, pose and lighting vary independently — FER2013's nuisances.
 */
export interface FaceParams {
  // Pose: where the face sits in the frame.
  cx: number;
  cy: number;
  scale: number;
  angle: number;
  /** Head turn: shifts the inner features sideways against the outline. */
  yaw: number;
  // Identity.
  faceRx: number;
  faceRy: number;
  skin: number;
  background: number;
  hair: number;
  hairLine: number;
  eyeSep: number;
  eyeY: number;
  mouthY: number;
  // Expression (see EXPRESSIONS).
  eyeOpen: number;
  browRaise: number;
  /** Inner brow end offset in face units: positive pulls it down (anger), negative lifts it (fear, sadness). */
  browSlant: number;
  mouthW: number;
  /** Positive lifts the mouth corners (smile), negative drops them (frown). */
  mouthCurve: number;
  mouthOpen: number;
  /** One-sided mouth lift (the disgust sneer). */
  mouthTilt: number;
  // Imaging.
  gradX: number;
  gradY: number;
  brightness: number;
  contrast: number;
  noise: number;
  occlusion: { x0: number; y0: number; x1: number; y1: number; value: number; stripes: boolean } | null;
}

interface Expression {
  eyeOpen: number;
  browRaise: number;
  browSlant: number;
  mouthW: number;
  mouthCurve: number;
  mouthOpen: number;
  mouthTilt: number;
}

/** Mean geometry per class, indexed like EMOTIONS. Far enough apart that shapes, not luck, decide the class. */
export const EXPRESSIONS: readonly Expression[] = [
  /* angry    */ { eyeOpen: 0.55, browRaise: -1.5, browSlant: 3.2, mouthW: 7, mouthCurve: -1.0, mouthOpen: 0, mouthTilt: 0 },
  /* disgust  */ { eyeOpen: 0.4, browRaise: -1.0, browSlant: 1.5, mouthW: 8, mouthCurve: -1.5, mouthOpen: 1.6, mouthTilt: 3.0 },
  /* fear     */ { eyeOpen: 1.35, browRaise: 2.5, browSlant: -2.6, mouthW: 10.5, mouthCurve: -0.5, mouthOpen: 2.6, mouthTilt: 0 },
  /* happy    */ { eyeOpen: 0.7, browRaise: 0.5, browSlant: 0, mouthW: 10, mouthCurve: 4.2, mouthOpen: 1.5, mouthTilt: 0 },
  /* sad      */ { eyeOpen: 0.65, browRaise: 0.5, browSlant: -2.6, mouthW: 8, mouthCurve: -3.6, mouthOpen: 0, mouthTilt: 0 },
  /* surprise */ { eyeOpen: 1.55, browRaise: 4.0, browSlant: 0, mouthW: 4.8, mouthCurve: 0, mouthOpen: 6.5, mouthTilt: 0 },
  /* neutral  */ { eyeOpen: 1.0, browRaise: 0, browSlant: 0, mouthW: 8, mouthCurve: 0, mouthOpen: 0, mouthTilt: 0 },
];

export interface FaceOptions {
  /** Probability of an occluding patch (a hand, a microphone, sunglasses). */
  occlusionRate?: number;
  /** Multiplies pose/identity jitter; 0 draws the canonical face (for tests and previews). */
  jitter?: number;
}

/** Draws the random parameters of one face with the given true expression. */
export function sampleFace(expression: number, rng: Rng, options: FaceOptions = {}): FaceParams {
  const j = options.jitter ?? 1;
  const e = EXPRESSIONS[expression];
  if (!e) throw new RangeError(`expression ${expression} is not 0–6`);
  const n = (sd: number) => rng.normal() * sd * j;
  const tilt = e.mouthTilt === 0 ? 0 : (rng.chance(0.5) ? 1 : -1) * (e.mouthTilt + n(0.5));
  const occluded = rng.chance(options.occlusionRate ?? 0.06);
  let occlusion: FaceParams['occlusion'] = null;
  if (occluded) {
    const w = rng.uniform(8, 18);
    const h = rng.uniform(6, 14);
    const x0 = rng.uniform(0, IMAGE_SIZE - w);
    const y0 = rng.uniform(0, IMAGE_SIZE - h);
    occlusion = { x0, y0, x1: x0 + w, y1: y0 + h, value: rng.uniform(10, 245), stripes: rng.chance(0.3) };
  }
  return {
    cx: 24 + n(1.3),
    cy: 25 + n(1.3),
    scale: 1 + n(0.06),
    angle: n(0.1),
    yaw: n(0.5),
    faceRx: 15 + n(0.8),
    faceRy: 19 + n(0.8),
    skin: rng.uniform(125, 215),
    background: rng.uniform(15, 235),
    hair: rng.uniform(10, 90),
    hairLine: -14.5 + n(1.2),
    eyeSep: 8 + n(0.5),
    eyeY: -3.5 + n(0.6),
    mouthY: 10 + n(0.6),
    eyeOpen: Math.max(0.2, e.eyeOpen + n(0.1)),
    browRaise: e.browRaise + n(0.5),
    browSlant: e.browSlant + n(0.5),
    mouthW: Math.max(3.5, e.mouthW + n(0.6)),
    mouthCurve: e.mouthCurve + n(0.5),
    mouthOpen: Math.max(0, e.mouthOpen + n(0.4)),
    mouthTilt: tilt,
    gradX: rng.uniform(-0.35, 0.35) * j,
    gradY: rng.uniform(-0.25, 0.25) * j,
    brightness: n(12),
    contrast: 1 + n(0.12),
    noise: rng.uniform(2, 9) * j,
    occlusion,
  };
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

// Math.hypot is several times slower than sqrt in V8, and this runs ~20 times per pixel.
const len = (a: number, b: number) => Math.sqrt(a * a + b * b);

function segmentDistance(u: number, v: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = clamp01(((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy));
  return len(u - ax - t * dx, v - ay - t * dy);
}

/** Renders one face into `out` (2,304 bytes, row-major) using `rng` only for sensor noise. */
export function renderFace(p: FaceParams, rng: Rng, out: Uint8Array = new Uint8Array(PIXELS_PER_IMAGE)): Uint8Array {
  const cos = Math.cos(-p.angle);
  const sin = Math.sin(-p.angle);
  const inv = 1 / p.scale;
  const shift = p.yaw * 1.5;
  const eyeRx = 3.2;
  const eyeRy = Math.max(0.35, 2.3 * p.eyeOpen);
  const browY = p.eyeY - 4.8 - p.browRaise;
  const eyeL = -p.eyeSep + shift;
  const eyeR = p.eyeSep + shift;
  const mouthX = shift * 1.2;
  const dark = p.skin * 0.22;
  const lip = p.skin * 0.45;
  for (let py = 0; py < IMAGE_SIZE; py++) {
    for (let px = 0; px < IMAGE_SIZE; px++) {
      const dx = px + 0.5 - p.cx;
      const dy = py + 0.5 - p.cy;
      const u = (dx * cos - dy * sin) * inv;
      const v = (dx * sin + dy * cos) * inv;
      // Edge softness of about one pixel: coverage = 0.5 - signed distance in pixels.
      const aa = p.scale;
      let value = p.background;

      const rFace = len(u / p.faceRx, v / p.faceRy);
      const rHair = len(u / (p.faceRx + 1.8), (v + 0.8) / (p.faceRy + 2.2));
      const hairCover = clamp01((0.5 - (rHair - 1) * p.faceRy * aa)) * clamp01(0.5 - (v - p.hairLine - 1.5 * Math.cos(u * 0.4)) * aa);
      const faceCover = clamp01(0.5 - (rFace - 1) * Math.min(p.faceRx, p.faceRy) * aa);
      if (faceCover > 0) {
        // Rounded shading so the face reads as a surface, not a flat disc.
        const shade = p.skin * (1 - 0.28 * rFace * rFace);
        value += (shade - value) * faceCover;

        // Eyes.
        for (let side = 0; side < 2; side++) {
          const ex = side === 0 ? eyeL : eyeR;
          const re = len((u - ex) / eyeRx, (v - p.eyeY) / eyeRy);
          if (re < 1.6) value += (dark - value) * clamp01(0.5 - (re - 1) * Math.min(eyeRx, eyeRy) * aa);
          // Socket shadow gives a cue even when the eye is nearly shut.
          const rs = len((u - ex) / (eyeRx + 1.5), (v - p.eyeY + 0.8) / (eyeRy + 1.6));
          if (rs < 1) value *= 0.93 + 0.07 * rs;
        }
        // Brows: thick segments; the inner end moves with browSlant.
        for (let side = -1; side <= 1; side += 2) {
          const ix = side * 3.4 + shift;
          const ox = side * 11.5 + shift;
          const d = segmentDistance(u, v, ix, browY + p.browSlant, ox, browY - 0.4 * p.browSlant - 0.8);
          if (d < 2.5) value += (p.hair * 0.9 - value) * clamp01(0.5 - (d - 1.15) * aa);
        }
        // Nose: a soft shadow line and nostrils, the same for every class.
        const dn = segmentDistance(u, v, shift * 1.1 + 0.8, p.eyeY + 1.5, shift * 1.1 + 1.2, p.eyeY + 8.5);
        if (dn < 1.5) value *= 0.88 + 0.08 * dn;
        // Mouth: a curved line, opening into a lens (or an O) as mouthOpen grows.
        const mu = u - mouthX;
        const t = mu / p.mouthW;
        if (Math.abs(t) < 1.5) {
          const tc = t < -1 ? -1 : t > 1 ? 1 : t;
          const yc = p.mouthY - p.mouthCurve * (tc * tc - 0.35) - p.mouthTilt * 0.5 * (tc + tc * tc * Math.sign(p.mouthTilt));
          const half = (p.mouthOpen / 2) * (1 - tc * tc);
          let d: number;
          if (Math.abs(t) <= 1) d = Math.abs(v - yc) - half - 0.9;
          else d = len(mu - tc * p.mouthW, v - yc) - 0.9;
          if (d < 1.5) value += ((p.mouthOpen > 0.8 ? dark : lip) - value) * clamp01(0.5 - d * aa);
        }
      }
      if (hairCover > 0) value += (p.hair - value) * hairCover * (1 - faceCover * 0.35);

      // Lighting: a linear gradient plus global brightness/contrast.
      const xn = px / (IMAGE_SIZE - 1) - 0.5;
      const yn = py / (IMAGE_SIZE - 1) - 0.5;
      value = (value - 128) * p.contrast + 128 + p.brightness;
      value *= 1 + 2 * (p.gradX * xn + p.gradY * yn);

      const o = p.occlusion;
      if (o && px + 0.5 >= o.x0 && px + 0.5 < o.x1 && py + 0.5 >= o.y0 && py + 0.5 < o.y1) {
        value = o.stripes && (px + py) % 6 < 3 ? o.value * 0.6 : o.value;
      }
      value += rng.normal() * p.noise;
      out[py * IMAGE_SIZE + px] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
    }
  }
  return out;
}
