import { mixSeed, Rng } from './prng';

/**
 * A seeded, stratified train/validation split: within each class, `fraction` of the positions (rounded, and
 * at least one when the class has two or more samples) go to validation, so rare classes such as disgust
 * appear on both sides. Returns positions into `labels`, ascending.
 *
 * This is how a user gets a validation split when a dataset has no PublicTest (e.g. a folder import with
 * only train/ and test/); with FER2013's own layout the default validation split is PublicTest.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, seed: number): { train: number[]; val: number[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`fraction must be in [0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const train: number[] = [];
  const val: number[] = [];
  for (const [label, positions] of [...byClass].sort((a, b) => a[0] - b[0])) {
    // One stream per class: the split of one class does not change when another class grows.
    const rng = new Rng(mixSeed(seed, label, 0x5a11));
    rng.shuffle(positions);
    let k = Math.round(positions.length * fraction);
    if (fraction > 0 && k === 0 && positions.length >= 2) k = 1;
    val.push(...positions.slice(0, k));
    train.push(...positions.slice(k));
  }
  train.sort((a, b) => a - b);
  val.sort((a, b) => a - b);
  return { train, val };
}
