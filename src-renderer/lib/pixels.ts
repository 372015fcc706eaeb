import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { heatRgb } from '../../src-shared/heat';

/** The contract ships 48×48 grayscale faces as base64 of raw bytes: decode once per page. */
export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Draws `count` faces side by side into one 48-pixel-high strip canvas. One canvas per page means a
 * grid redraw is a handful of drawImage calls, not thousands of putImageData ones.
 */
export function facesToStrip(pixels: Uint8Array, count: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, count * IMAGE_SIZE);
  canvas.height = IMAGE_SIZE;
  const ctx = canvas.getContext('2d');
  if (!ctx || count === 0) return canvas;
  const img = ctx.createImageData(count * IMAGE_SIZE, IMAGE_SIZE);
  // One 32-bit write per pixel (gray → 0xAABBGGRR, little-endian) instead of four byte writes.
  const out = new Uint32Array(img.data.buffer);
  const rowWidth = count * IMAGE_SIZE;
  for (let f = 0; f < count; f++) {
    const src = f * PIXELS_PER_IMAGE;
    const col = f * IMAGE_SIZE;
    for (let y = 0; y < IMAGE_SIZE; y++) {
      const s0 = src + y * IMAGE_SIZE;
      const d0 = y * rowWidth + col;
      for (let x = 0; x < IMAGE_SIZE; x++) out[d0 + x] = 0xff000000 | ((pixels[s0 + x] ?? 0) * 0x010101);
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** Paints one face, scaled without smoothing so the 48×48 pixels stay honest; `overlay`: a saliency map over it. */
export function paintFace(canvas: HTMLCanvasElement, pixels: Uint8Array, offset = 0, overlay?: Uint8Array): void {
  const face = pixels.subarray(offset, offset + PIXELS_PER_IMAGE);
  const strip = overlay ? overlayToStrip(face, overlay) : facesToStrip(face, 1);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(strip, 0, 0, canvas.width, canvas.height);
}

/**
 * Blends a 48×48 saliency map (0–255) over a grayscale face as a heat overlay: the map's value sets both
 * the colour (blue → red) and how much it covers the face, so low saliency leaves the face visible.
 */
export function overlayToStrip(face: Uint8Array, map: Uint8Array): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = IMAGE_SIZE;
  canvas.height = IMAGE_SIZE;
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const img = ctx.createImageData(IMAGE_SIZE, IMAGE_SIZE);
  for (let i = 0; i < PIXELS_PER_IMAGE; i++) {
    const [r, g, b] = heatRgb(face[i] ?? 0, (map[i] ?? 0) / 255);
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}
