/**
 * Ensembles over aligned probability tables (each n×classes, same sample order). Soft voting averages
 * probabilities; hard voting counts each member's argmax. Weights scale a member's say in either.
 */

export function checkWeights(members: number, weights?: readonly number[]): number[] {
  const w = weights ? [...weights] : new Array<number>(members).fill(1);
  if (w.length !== members) throw new RangeError(`${w.length} weights given for ${members} members`);
  if (w.some((x) => !Number.isFinite(x) || x < 0)) throw new RangeError('weights must be finite and ≥ 0');
  if (!w.some((x) => x > 0)) throw new RangeError('at least one weight must be > 0');
  return w;
}

function checkShapes(members: readonly Float32Array[], n: number, classes: number): void {
  if (members.length === 0) throw new RangeError('no members to vote');
  for (const [i, m] of members.entries()) {
    if (m.length !== n * classes) throw new RangeError(`member ${i} has ${m.length} values, expected ${n}×${classes}`);
  }
}

/** Weighted mean of the members' probabilities. */
export function softVote(members: readonly Float32Array[], n: number, classes: number, weights?: readonly number[]): Float32Array {
  checkShapes(members, n, classes);
  const w = checkWeights(members.length, weights);
  const total = w.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * classes);
  // Float64 accumulator: seven float32 additions per cell would otherwise drift in the 7th digit.
  const acc = new Float64Array(n * classes);
  for (let m = 0; m < members.length; m++) {
    const wm = w[m]!;
    if (wm === 0) continue;
    const src = members[m]!;
    for (let j = 0; j < acc.length; j++) acc[j]! += wm * src[j]!;
  }
  for (let j = 0; j < acc.length; j++) out[j] = acc[j]! / total;
  return out;
}

export interface HardVote {
  /** Weighted vote share per class (rows sum to 1): what the ensemble "believes" under majority vote. */
  probs: Float32Array;
  /** Winning class; ties go to the tied class with the highest mean probability, then the lowest index. */
  preds: Uint8Array;
}

export function hardVote(members: readonly Float32Array[], n: number, classes: number, weights?: readonly number[]): HardVote {
  checkShapes(members, n, classes);
  const w = checkWeights(members.length, weights);
  const total = w.reduce((a, b) => a + b, 0);
  const probs = new Float32Array(n * classes);
  const preds = new Uint8Array(n);
  const votes = new Float64Array(classes);
  const mass = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    votes.fill(0);
    mass.fill(0);
    const base = i * classes;
    for (let m = 0; m < members.length; m++) {
      const src = members[m]!;
      let best = 0;
      for (let k = 1; k < classes; k++) if (src[base + k]! > src[base + best]!) best = k;
      votes[best]! += w[m]!;
      for (let k = 0; k < classes; k++) mass[k]! += w[m]! * src[base + k]!;
    }
    let win = 0;
    for (let k = 1; k < classes; k++) {
      if (votes[k]! > votes[win]! || (votes[k] === votes[win] && mass[k]! > mass[win]!)) win = k;
    }
    preds[i] = win;
    for (let k = 0; k < classes; k++) probs[base + k] = votes[k]! / total;
  }
  return { probs, preds };
}
