/**
 * The stored binary layouts (see the interfaces doc): probabilities are 7 float32 little-endian per
 * sample, a confusion matrix is 7×7 int32 little-endian with row = true label.
 */

export function encodeProbs(probs: ArrayLike<number>, offset = 0, classes = 7): Buffer {
  const buf = Buffer.allocUnsafe(classes * 4);
  for (let k = 0; k < classes; k++) buf.writeFloatLE(probs[offset + k]!, k * 4);
  return buf;
}

export function decodeProbs(blob: Uint8Array, classes = 7): number[] {
  if (blob.byteLength !== classes * 4) throw new RangeError(`probability blob has ${blob.byteLength} bytes, expected ${classes * 4}`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Array<number>(classes);
  for (let k = 0; k < classes; k++) out[k] = view.getFloat32(k * 4, true);
  return out;
}

/** Decodes one blob into `into` at row `row` (bulk loads avoid an array per sample). */
export function decodeProbsInto(blob: Uint8Array, into: Float32Array, row: number, classes = 7): void {
  if (blob.byteLength !== classes * 4) throw new RangeError(`probability blob has ${blob.byteLength} bytes, expected ${classes * 4}`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let k = 0; k < classes; k++) into[row * classes + k] = view.getFloat32(k * 4, true);
}

export function encodeConfusion(matrix: number[][]): Buffer {
  const c = matrix.length;
  const buf = Buffer.alloc(c * c * 4);
  matrix.forEach((row, t) => {
    if (row.length !== c) throw new RangeError('confusion matrix must be square');
    row.forEach((v, p) => buf.writeInt32LE(v, (t * c + p) * 4));
  });
  return buf;
}

export function decodeConfusion(blob: Uint8Array, classes = 7): number[][] {
  if (blob.byteLength !== classes * classes * 4) throw new RangeError(`confusion blob has ${blob.byteLength} bytes, expected ${classes * classes * 4}`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  return Array.from({ length: classes }, (_, t) => Array.from({ length: classes }, (_, p) => view.getInt32((t * classes + p) * 4, true)));
}
