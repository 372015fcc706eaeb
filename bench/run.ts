import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendName } from '../src-shared/contract';
import { activateBackend, adapterNote, chooseBackend, wasmThreadCount } from '../src-main/engine/backend';
import { installedAdapter } from '../src-main/engine/webgpu';
import { foldedPredict } from '../src-main/engine/wasm/folded-inference';
import { setFilterGradStrategy, type FilterGradStrategy } from '../src-main/engine/wasm/conv2d-backprop-filter';
import { buildPeerBaseline } from './baseline-model';
import { REPO_ROOT, runPeer } from './peer';
import { formatProfile, kernelProfile } from './profile';
import { evalPass, randomData, trainEpoch, trainStep } from './timing';

const USAGE = `npm run bench -- [--profile] [--images 1024] [--batch 64] [--eval-batch 256] [--peer-threads 2] [--no-peer]
                      [--backend ${BACKEND_NAMES.join('|')}] [--filter-grad auto|patches|batch-conv]
Trains the peer's baseline CNN (warm-up epoch, then a timed one) and evaluates it, runs ../shared/bench/torch_peer.py
in the same invocation, and prints one JSON object as the last stdout line. --profile adds a per-kernel time table.`;

const note = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** Optional sections other engineers own; a missing or failing one is skipped with a note, never fatal. */
async function optionalSection(file: string, fn: string): Promise<unknown> {
  const path = join(REPO_ROOT, 'bench', file);
  if (!existsSync(path)) return { skipped: `bench/${file} does not exist yet` };
  try {
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const f = mod[fn];
    if (typeof f !== 'function') return { skipped: `bench/${file} does not export ${fn}()` };
    return await (f as () => unknown)();
  } catch (err) {
    note(`bench/${file} failed: ${(err as Error).stack ?? String(err)}`);
    return { skipped: `bench/${file} failed: ${(err as Error).message}` };
  }
}

function ratio(a: number, b: number | undefined): number | null {
  return b ? Math.round((a / b) * 100) / 100 : null;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: 'boolean', default: false },
      images: { type: 'string', default: '1024' },
      batch: { type: 'string', default: '64' },
      'eval-batch': { type: 'string', default: '256' },
      'peer-threads': { type: 'string', default: '2' },
      'no-peer': { type: 'boolean', default: false },
      backend: { type: 'string' },
      'filter-grad': { type: 'string', default: 'auto' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const images = Number(values.images);
  const batch = Number(values.batch);
  const evalBatch = Number(values['eval-batch']);
  const peerThreads = Number(values['peer-threads']);
  for (const [k, v] of Object.entries({ images, batch, 'eval-batch': evalBatch, 'peer-threads': peerThreads })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${k} must be a positive integer`);
  }
  const strategy = values['filter-grad'] as FilterGradStrategy;
  if (!['auto', 'patches', 'batch-conv'].includes(strategy)) throw new Error('--filter-grad must be auto, patches or batch-conv');

  const choice = await chooseBackend((values.backend as BackendName | undefined) ?? null);
  // The peer's baseline: every conv, pool and batch norm on the workbench's kernels (models/baseline.ts says so too).
  await activateBackend(choice.name, { xnnpack: 'one' });
  setFilterGradStrategy(strategy);
  const threads = choice.name === 'wasm' ? wasmThreadCount() : choice.name === 'cpu' ? 1 : null;
  note(`backend ${choice.name} (${threads ?? '?'} thread(s)): ${choice.reason} ${adapterNote(choice.name)}`);

  const data = randomData(images, 0);
  const model = buildPeerBaseline(0);
  const optimizer = tf.train.adam(0.001);
  await trainEpoch(model, optimizer, data, batch); // warm-up: kernel setup (shader compiles on webgpu), optimizer slots, heap growth
  const tensorsBefore = tf.memory().numTensors;
  const trainS = await trainEpoch(model, optimizer, data, batch);
  const leaked = tf.memory().numTensors - tensorsBefore;
  await evalPass(model, data, evalBatch); // warm-up
  const evalS = await evalPass(model, data, evalBatch);
  const train = Math.round((images / trainS) * 10) / 10;
  const evalRate = Math.round((images / evalS) * 10) / 10;
  note(`train ${train} img/s, eval ${evalRate} img/s${leaked ? `, ${leaked} tensors leaked per epoch!` : ''}`);

  let profile: unknown;
  if (values.profile) {
    const xb = data.x.slice([0, 0, 0, 0], [batch, 48, 48, 1]);
    const yb = data.y.slice([0, 0], [batch, 7]);
    const trainProfile = await kernelProfile(() => trainStep(model, optimizer, xb, yb));
    const xe = data.x.slice([0, 0, 0, 0], [Math.min(evalBatch, images), 48, 48, 1]);
    const evalProfile = await kernelProfile(() => void tf.tidy(() => tf.softmax(foldedPredict(model, xe) ?? (model.predict(xe, { batchSize: evalBatch }) as tf.Tensor))));
    tf.dispose([xb, yb, xe]);
    note(formatProfile(`one training step, batch ${batch}`, trainProfile));
    note(formatProfile(`one eval batch of ${Math.min(evalBatch, images)}`, evalProfile));
    profile = { train_step: trainProfile, eval_batch: evalProfile };
  }
  tf.dispose([data.x, data.y]);
  model.dispose();
  optimizer.dispose();

  let peer = null;
  if (!values['no-peer']) {
    note(`running the PyTorch peer (--threads ${peerThreads}) ...`);
    const r = runPeer({ threads: peerThreads, batch, images });
    peer = r.peer;
    if (r.note) note(r.note);
    else note(`peer: train ${peer?.train_img_per_s} img/s, eval ${peer?.eval_img_per_s} img/s`);
  }

  const summary: Record<string, unknown> = {
    backend: choice.name,
    // webgpu: the adapter it ran on (vendor, architecture, device, Dawn backend, software or not).
    adapter: choice.name === 'webgpu' ? installedAdapter() : null,
    threads,
    batch,
    eval_batch: evalBatch,
    images,
    train_img_per_s: train,
    eval_img_per_s: evalRate,
    peer,
    train_ratio_vs_torch: ratio(train, peer?.train_img_per_s),
    eval_ratio_vs_torch: ratio(evalRate, peer?.eval_img_per_s),
    tensors_leaked_per_epoch: leaked,
    import: await optionalSection('import.ts', 'benchImport'),
    analysis: await optionalSection('analysis.ts', 'benchAnalysis'),
  };
  if (profile) summary.profile = profile;
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}
