import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { synthSamples } from '../../../../src-main/data/synth';

/** `n` synthetic 48×48 faces, packed as the store keeps them. */
export function faces(n: number): Uint8Array {
  const out = new Uint8Array(n * 2304);
  let i = 0;
  for (const s of synthSamples({ perClass: 1, seed: 5, balanced: true })) {
    out.set(s.pixels, i * 2304);
    if (++i === n) break;
  }
  return out;
}

export interface GraphJson {
  modelTopology: { node: { name: string; op: string; input?: string[]; attr?: Record<string, unknown> }[] };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** A package's graph model, loaded by tfjs itself from the files as they are: the reference. */
export async function loadShipped(file: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as GraphJson;
  const bin = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(file), p)))));
  return tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer }),
  );
}

/** A copy of a graph JSON under `tmp` with `edit` applied, beside links to its weight shards. */
export function doctoredGraph(file: string, tmp: string, name: string, edit: (json: GraphJson) => void): string {
  const json = JSON.parse(readFileSync(file, 'utf8')) as GraphJson;
  edit(json);
  const dir = mkdtempSync(join(tmp, `${name}-`));
  for (const p of json.weightsManifest.flatMap((g) => g.paths)) symlinkSync(join(dirname(file), p), join(dir, p));
  const out = join(dir, basename(file));
  writeFileSync(out, JSON.stringify(json));
  return out;
}

/** The error `build` throws, or a failure when it throws none. */
export function refusal(build: () => unknown): Error & { code?: string } {
  try {
    build();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('the doctored graph was accepted');
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}
