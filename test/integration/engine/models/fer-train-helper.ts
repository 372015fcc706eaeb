import { join } from 'node:path';
import { expect } from 'vitest';
import type { RunDetail, RunSummary } from '../../../../src-shared/contract/runs';
import type { TransferArchitecture } from '../../../../src-shared/contract/weights';
import { checkpointDir, loadModelDir } from '../../../../src-main/engine/checkpoint';
import { baseSpecs } from '../../../../src-main/engine/weights/detect';
import { ferOk } from '../../../helpers/fer-cli';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempWorkbench } from '../../../helpers/workbench';
import { randomWeights, writeKerasH5 } from '../../../unit/engine/weights/fixtures';


const fer = (args: string[]) => ferOk([...args, '--json'], { timeout: 400_000 });

/**
 * `fer train --model ARCH --weights FILE --freeze N` end to end, as a user runs it: a keras-vggface-layout
 * .h5 with random weights, a tiny synthetic FER dataset, one epoch at 64×64 on wasm. Then the run's `last`
 * checkpoint must hold the file's weights in its frozen layers — proof they were loaded, not re-initialised —
 * and changed weights in a trainable base layer (conv gradients flow on wasm into the unfrozen tail).
 */
export async function ferTrainTransfer(arch: TransferArchitecture, freeze: number, frozenLayer: string, trainableLayer: string | null): Promise<void> {
  const t = tempWorkbench();
  try {
    await createSyntheticDataset(t.wb, { perClass: 3, seed: 9, balanced: true, name: 'tiny' });
    await t.wb.close(); // the CLI opens the home itself
    const layers = randomWeights(baseSpecs({ architecture: arch, variant: 'vggface' }), 17);
    const file = join(t.dir, `rcmalli_vggface_tf_notop_${arch}.h5`);
    await writeKerasH5(file, layers, 'weights');

    const args = ['train', '--dataset', 'tiny', '--model', arch, '--weights', file, '--freeze', String(freeze), '--input-size', '64', '--epochs', '1', '--batch', '7', '--backend', 'wasm', '--home', t.dir];
    const out = await fer(args);
    const [summary] = out.json as RunSummary[];
    expect(summary).toMatchObject({ status: 'completed', epochsDone: 1, backend: 'wasm', model: arch });

    const detail = (await fer(['run', String(summary!.id), '--home', t.dir])).json as RunDetail;
    expect(detail.config).toMatchObject({ model: arch, freeze, inputSize: 64 });
    expect(Number.isFinite(detail.epochs[0]!.loss)).toBe(true);
    const model = await loadModelDir(checkpointDir(join(t.dir, 'runs'), summary!.id, 'last'));
    expect(model.inputs[0]!.shape).toEqual([null, 64, 64, 3]);
    const want = layers.find((l) => l.name === frozenLayer)!.weights[0]!.data;
    expect(Array.from(model.getLayer(frozenLayer).getWeights()[0]!.dataSync())).toEqual(Array.from(want));
    expect(model.getLayer(frozenLayer).trainable).toBe(false);
    if (trainableLayer) {
      const before = layers.find((l) => l.name === trainableLayer)!.weights[0]!.data;
      const after = model.getLayer(trainableLayer).getWeights()[0]!.dataSync();
      expect(model.getLayer(trainableLayer).trainable).toBe(true);
      expect(after.length).toBe(before.length);
      expect(after.some((v, i) => v !== before[i])).toBe(true);
    }
    model.dispose();
  } finally {
    await t.cleanup();
  }
}
