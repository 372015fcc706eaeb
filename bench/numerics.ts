/**
 * `node bin/bench.mjs numerics --home DIR --dataset NAME [--steps 2000] [--every 250]`: long-run numerics of the
 * workbench's wasm kernels against the reference path. Two copies of the baseline, built from the same seed, train
 * in lockstep on the same real faces (the same shuffles, augmentations and dropout masks): one with the workbench's
 * kernels (Winograd convs, fused batch norm + ReLU, lazy conv gradients, fused Adam), one with them switched off
 * (tfjs-wasm's own XNNPACK convs, tfjs-layers' batch norm, tfjs's Adam). Every `every` steps it prints both models'
 * running training loss, their PublicTest loss and accuracy, and the relative distance between their weights.
 * The last stdout line is one JSON object. Not part of CI: it needs real data and ~20 minutes.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../src-shared/labels';
import { trainConfigSchema } from '../src-shared/contract/runs';
import { openWorkbench } from '../src-main/context';
import { augmentBatch } from '../src-main/engine/augment';
import { activateBackend, wasmThreadCount } from '../src-main/engine/backend';
import { evaluateSplit } from '../src-main/engine/evaluate';
import { finishInput, gatherRows, pixelsToImages } from '../src-main/engine/input';
import { makeLoss } from '../src-main/engine/losses';
import { getModel } from '../src-main/engine/models/index';
import { setFusedBatchNormEnabled, setFusedReluEnabled } from '../src-main/engine/patches/fused-bn-training';
import { setLazyConvGradEnabled } from '../src-main/engine/patches/lazy-conv-grad';
import { makeOptimizer } from '../src-main/engine/optimizers';
import { mixSeed, shuffledIndices, STREAM } from '../src-main/engine/rng';
import { setFusedAdamEnabled } from '../src-main/engine/patches/fused-adam';
import { setWinogradEnabled } from '../src-main/engine/wasm/winograd-conv';
import { loadRunData } from '../src-main/trainer/data';

const note = (msg: string): void => void process.stderr.write(`${msg}\n`);

function ownKernels(on: boolean): void {
  setWinogradEnabled(on);
  setFusedBatchNormEnabled(on);
  setFusedReluEnabled(on);
  setLazyConvGradEnabled(on);
  setFusedAdamEnabled(on);
}

/** ‖a − b‖ / ‖b‖ over all weights (batch-norm moving statistics included), in float64. */
function relativeDistance(a: tf.LayersModel, b: tf.LayersModel): number {
  let diff = 0;
  let norm = 0;
  const wa = a.getWeights();
  b.getWeights().forEach((w, i) => {
    const x = wa[i]!.dataSync();
    const y = w.dataSync();
    for (let j = 0; j < y.length; j++) {
      diff += (x[j]! - y[j]!) ** 2;
      norm += y[j]! ** 2;
    }
  });
  return Math.sqrt(diff / norm);
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { home: { type: 'string' }, dataset: { type: 'string' }, steps: { type: 'string', default: '2000' }, every: { type: 'string', default: '250' }, seed: { type: 'string', default: '1' } } });
  if (!values.home || !values.dataset) {
    note('usage: node bin/bench.mjs numerics --home DIR --dataset NAME|ID [--steps 2000] [--every 250] [--seed 1]');
    return 2;
  }
  const steps = Number(values.steps);
  const every = Number(values.every);
  const seed = Number(values.seed);
  const config = trainConfigSchema.parse({ dataset: /^\d+$/.test(values.dataset) ? Number(values.dataset) : values.dataset, seed, augment: {}, valSplit: 'PublicTest' });
  await activateBackend('wasm', { xnnpack: 'one' });
  const wb = openWorkbench({ flag: values.home });
  const data = loadRunData(wb, config);
  const def = getModel('baseline');
  const spec = def.inputSpec(config);
  const loss = makeLoss(null);
  const build = async () => {
    const m = await def.build(config, { weightsFile: null });
    m.compile({ optimizer: makeOptimizer(config), loss });
    return m;
  };
  const kernels = await build();
  const reference = await build();
  const drops = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === 'Dropout') as unknown as { seed?: number }[];
  const bs = config.batch;
  const batches = Math.floor(data.train.n / bs);
  const buf = new Uint8Array(bs * 2304);
  const labels = new Int32Array(bs);
  const running = { kernels: 0, reference: 0 };
  const rows: Record<string, number>[] = [];
  let order: Int32Array | number[] = [];
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    const epoch = Math.floor((step - 1) / batches) + 1;
    const b = (step - 1) % batches;
    if (b === 0) order = shuffledIndices(data.train.n, mixSeed(seed, STREAM.shuffle, epoch));
    for (let i = 0; i < bs; i++) labels[i] = data.train.labels[order[b * bs + i]!]!;
    const [x, y] = tf.tidy(() => {
      const img = augmentBatch(pixelsToImages(gatherRows(data.train.pixels, order, b * bs, (b + 1) * bs, buf), bs), config.augment!, mixSeed(seed, STREAM.augment, epoch, b));
      return [finishInput(img, spec), tf.oneHot(tf.tensor1d(labels, 'int32'), NUM_CLASSES)] as const;
    });
    for (const [name, model] of [['kernels', kernels], ['reference', reference]] as const) {
      ownKernels(name === 'kernels');
      drops(model).forEach((d, i) => (d.seed = mixSeed(seed, STREAM.dropout, epoch, b, i)));
      const l = (await model.trainOnBatch(x, y)) as number;
      running[name] = step === 1 ? l : 0.98 * running[name] + 0.02 * l;
    }
    tf.dispose([x, y]);
    if (step % every === 0 || step === steps) {
      ownKernels(true);
      const vk = await evaluateSplit(kernels, data.val!, spec);
      const vr = await evaluateSplit(reference, data.val!, spec);
      const row = { step, epoch, lossKernels: running.kernels, lossReference: running.reference, valLossKernels: vk.loss, valLossReference: vr.loss, valAccKernels: vk.acc, valAccReference: vr.acc, weightDrift: relativeDistance(kernels, reference), minutes: (performance.now() - t0) / 60_000 };
      rows.push(row);
      note(Object.entries(row).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`).join('  '));
    }
  }
  console.log(JSON.stringify({ threads: wasmThreadCount(), batch: bs, steps, rows }));
  await wb.close();
  return 0;
}
