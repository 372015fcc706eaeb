/**
 * A child process for the determinism tests: trains the baseline through the real training loop (augmentation,
 * class weights, dropout, batch norm, Adam, validation each epoch) on synthetic faces with the wasm backend and
 * FER_WASM_THREADS threads, then prints one JSON line: the thread count used, the steps run, a digest of every
 * weight (batch-norm moving statistics included) and the per-epoch losses.
 */
import { createHash } from 'node:crypto';
import { activateBackend, wasmThreadCount } from '../../src-main/engine/backend';
import { getModel, xnnpackPoolFor } from '../../src-main/engine/models/index';
import { train } from '../../src-main/engine/train';
import { trainConfigSchema } from '../../src-shared/contract/runs';
import { synthSplits } from '../unit/engine/train-helpers';

const epochs = Number(process.env.DIGEST_EPOCHS ?? 3);
const perClass = Number(process.env.DIGEST_PER_CLASS ?? 150);
const batch = Number(process.env.DIGEST_BATCH ?? 16);
// Weight averaging on: the validation history and the final weights are the average's, so its per-batch update is
// held to the same bit-identity as the steps.
const config = trainConfigSchema.parse({ dataset: 'x', epochs, batch, augment: {}, classWeights: true, ema: 0.99, seed: 3 });
await activateBackend('wasm', { xnnpack: xnnpackPoolFor(config) });
const def = getModel('baseline');
const { train: data, held } = synthSplits(perClass, 7);
const model = await def.build(config, { weightsFile: null });
const out = await train({ config, model, spec: def.inputSpec(config), train: data, val: held, classWeights: [1, 2, 1, 1, 1, 1, 1], dir: null });
const digest = createHash('sha256');
for (const w of model.getWeights()) digest.update(Buffer.from((w.dataSync() as Float32Array).buffer));
console.log(
  JSON.stringify({
    threads: wasmThreadCount(),
    steps: epochs * Math.ceil(data.n / batch),
    weights: digest.digest('hex'),
    history: out.state.history.map((h) => [h.loss, h.valLoss]),
  }),
);
