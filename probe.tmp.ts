import * as tf from '@tensorflow/tfjs';
import { activateBackend } from './src-main/engine/backend';
import { buildPeerBaseline } from './bench/baseline-model';
import { randomData } from './bench/timing';
await activateBackend('wasm');
const model = buildPeerBaseline(0);
const opt = tf.train.adam();
const data = randomData(256);
const xb = data.x.slice([0, 0, 0, 0], [64, 48, 48, 1]); const yb = data.y.slice([0, 0], [64, 7]);
const loss = () => tf.losses.softmaxCrossEntropy(yb, model.apply(xb, { training: true }) as tf.Tensor) as tf.Scalar;
for (let i = 0; i < 5; i++) tf.tidy(() => { opt.minimize(loss, false); });
(globalThis as any).ktot = {};
const t = performance.now(); for (let i = 0; i < 10; i++) tf.tidy(() => { opt.minimize(loss, false); }); const step = (performance.now() - t) / 10;
const k = (globalThis as any).ktot; let sum = 0; for (const [f, ms] of Object.entries(k)) { sum += ms as number; console.log(f.padEnd(16), ((ms as number) / 10).toFixed(2)); }
console.log('step', step.toFixed(1), 'in our kernels', (sum / 10).toFixed(1));
process.exit(0);
