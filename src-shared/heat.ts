/**
 * A saliency value v (0–1) blended over a gray face pixel as a heat colour (blue at 0, through yellow, to red at 1):
 * v sets both the colour and how much it covers the face, so low saliency leaves the face visible. The cell review's
 * canvases and the contact-sheet PNGs draw the same overlay.
 */
export function heatRgb(gray: number, v: number): [number, number, number] {
  const a = 0.65 * v;
  const r = 255 * Math.min(1, 2 * v);
  const g = 255 * (v < 0.5 ? 2 * v : 2 - 2 * v);
  const b = 255 * Math.max(0, 1 - 2 * v);
  return [gray * (1 - a) + r * a, gray * (1 - a) + g * a, gray * (1 - a) + b * a];
}
