import * as tf from '@tensorflow/tfjs';
import { setupWasmThreads } from './src-main/engine/wasm-threads';
import { activateBackend } from './src-main/engine/backend';
import { registerWasmTrainingKernels } from './src-main/engine/wasm/register';
import { setWinogradEnabled } from './src-main/engine/wasm/winograd-conv';
await setupWasmThreads(Number(process.argv[2] ?? 2));
registerWasmTrainingKernels();
await activateBackend('wasm');
function time(label: string, f: () => tf.Tensor) { for (let i = 0; i < 2; i++) f().dispose(); const t = performance.now(); const R = 5; for (let i = 0; i < R; i++) { const r = f(); r.dataSync(); r.dispose(); } console.log(label.padEnd(40), ((performance.now() - t) / R).toFixed(1), 'ms'); }
for (const on of [true]) {
  setWinogradEnabled(on); console.log('winograd', on);
  for (const [n, h, ci] of [[64, 48, 1], [64, 48, 32], [64, 24, 32], [256, 48, 1], [256, 48, 32], [256, 24, 32]] as const) {
    const x = tf.randomNormal([n, h, h, ci]) as tf.Tensor4D, w = tf.randomNormal([3, 3, ci, 32]) as tf.Tensor4D, dy = tf.randomNormal([n, h, h, 32]) as tf.Tensor4D;
    time(`fwd ${n}x${h}x${h}x${ci}`, () => tf.conv2d(x, w, 1, 'same'));
    if (n === 64) { time(`dx ${n}x${h}x${h}x${ci}`, () => tf.conv2dTranspose(dy, w, [n, h, h, ci], 1, 'same'));
    time(`dw ${n}x${h}x${h}x${ci}`, () => tf.conv2d(x, w, 1, 'same') && (tf.grad((ww: tf.Tensor4D) => tf.conv2d(x, ww, 1, 'same').mul(dy).sum())(w))); }
    tf.dispose([x, w, dy]);
  }
}
process.exit(0);
