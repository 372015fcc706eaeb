import { writeFileSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workbench } from '../../../../src-main/context';
import { baseSpecs } from '../../../../src-main/engine/weights/detect';
import type { ExpectedLayer } from '../../../../src-main/engine/weights/mapping';
import { call } from '../../../../src-main/services/dispatch';
import { handlers } from '../../../../src-main/services/index';
import { AppError } from '../../../../src-shared/errors';
import { tempWorkbench } from '../../../helpers/workbench';
import { randomWeights, writeKerasH5, writeTfjsLayers, type FakeLayer } from './fixtures';

let wb: Workbench;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(() => {
  ({ wb, dir, cleanup } = tempWorkbench());
});
afterAll(() => cleanup());

/** Every layer name of an architecture with 1-value weights: enough for the name-based checks, tiny on disk. */
function namesOnly(specs: ExpectedLayer[]): FakeLayer[] {
  return specs.map((l) => ({ name: l.name, weights: l.weights.map((w) => ({ name: `${l.name}/${w.name}:0`, shape: [1], data: new Float32Array([0.5]) })) }));
}

async function importError(args: { path: string; name: string; architecture?: 'resnet50' | 'senet50' | 'vgg16' }): Promise<AppError> {
  const err = await call(handlers, wb, 'weights.import', args).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

function storedNothing(): void {
  expect(readdirSync(wb.home.weights)).toEqual([]);
  expect(readdirSync(wb.home.tmp)).toEqual([]);
}

describe('weights import refuses bad input with a specific error', () => {
  const vggReal = randomWeights(baseSpecs({ architecture: 'vgg16', variant: 'vggface' }), 5);

  it('a file for another architecture', async () => {
    const senet = join(dir, 'senet-names.h5');
    await writeKerasH5(senet, namesOnly(baseSpecs({ architecture: 'senet50', variant: 'vggface' })), 'weights');
    const e1 = await importError({ path: senet, name: 'x', architecture: 'resnet50' });
    expect(e1.code).toBe('WEIGHTS_MISMATCH');
    expect(e1.message).toMatch(/holds senet50 weights, not resnet50/);
    expect(e1.message).toContain('conv2_1_1x1_down');

    const vgg = join(dir, 'vgg-names.h5');
    await writeKerasH5(vgg, namesOnly(baseSpecs({ architecture: 'vgg16', variant: 'vggface' })), 'weights');
    const e2 = await importError({ path: vgg, name: 'y', architecture: 'resnet50' });
    expect(e2.code).toBe('WEIGHTS_MISMATCH');
    expect(e2.message).toMatch(/holds vgg16 weights, not resnet50/);

    const other = join(dir, 'mobilenet.h5');
    await writeKerasH5(other, [{ name: 'conv_dw_1', weights: [{ name: 'conv_dw_1/depthwise_kernel:0', shape: [3, 3, 32, 1], data: new Float32Array(288) }] }], 'weights');
    const e3 = await importError({ path: other, name: 'z' });
    expect(e3.code).toBe('WEIGHTS_MISMATCH');
    expect(e3.message).toMatch(/does not hold resnet50, senet50 or vgg16 weights.*conv_dw_1/);
    storedNothing();
  });

  it('a truncated or corrupt .h5, and a file that is not HDF5 at all', async () => {
    const good = join(dir, 'small.h5');
    await writeKerasH5(good, namesOnly(baseSpecs({ architecture: 'vgg16', variant: 'vggface' })), 'weights');
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.h5');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const e1 = await importError({ path: truncated, name: 't' });
    expect(e1.code).toBe('INVALID_DATA');
    expect(e1.message).toContain(truncated);
    expect(e1.message).toMatch(/truncated or corrupt: its HDF5 header records \d+ bytes but the file has \d+/);

    // Same length, scrambled metadata: libhdf5 itself refuses it, and that becomes the same kind of error.
    const scrambled = join(dir, 'scrambled.h5');
    const copy = Buffer.from(bytes);
    for (let i = 96; i < Math.min(copy.length, 4096); i++) copy[i] = (i * 197) & 0xff;
    writeFileSync(scrambled, copy);
    const e3 = await importError({ path: scrambled, name: 'c' });
    expect(e3.code).toBe('INVALID_DATA');
    expect(e3.message).toContain(scrambled);

    const junk = join(dir, 'junk.h5');
    writeFileSync(junk, 'this is not an HDF5 file, just text');
    const e2 = await importError({ path: junk, name: 'j' });
    expect(e2.code).toBe('INVALID_DATA');
    expect(e2.message).toMatch(/junk\.h5 is not an HDF5 file/);

    const missing = await importError({ path: join(dir, 'nope.h5'), name: 'n' });
    expect(missing.code).toBe('NOT_FOUND');
    storedNothing();
  });

  it('a missing layer, named', async () => {
    const file = join(dir, 'missing-layer.h5');
    await writeKerasH5(file, vggReal.filter((l) => l.name !== 'conv3_2'), 'model');
    const e = await importError({ path: file, name: 'm' });
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.message).toMatch(/lacks 1 of the 13 weighted layers vgg16 \(vggface layer names\) needs: conv3_2\./);
    storedNothing();
  });

  it('a wrong shape, naming the layer and both shapes', async () => {
    const file = join(dir, 'wrong-shape.h5');
    const bad = vggReal.map((l) =>
      l.name === 'conv4_1' ? { ...l, weights: [{ ...l.weights[0]!, shape: [3, 3, 256, 256], data: new Float32Array(3 * 3 * 256 * 256) }, l.weights[1]!] } : l,
    );
    await writeKerasH5(file, bad, 'weights');
    const e = await importError({ path: file, name: 's' });
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.message).toContain('layer conv4_1 weight kernel: the file has shape [3, 3, 256, 256], the model expects [3, 3, 256, 512]');
    storedNothing();
  });

  it('a tfjs model.json whose shard is truncated or missing', async () => {
    const json = writeTfjsLayers(join(dir, 'tfjs-bad'), vggReal);
    const shard = join(dir, 'tfjs-bad', 'group1-shard2of2.bin');
    writeFileSync(shard, readFileSync(shard).subarray(0, 1000));
    const e1 = await importError({ path: json, name: 'tj' });
    expect(e1.code).toBe('INVALID_DATA');
    expect(e1.message).toMatch(/too few for weight conv\d_\d\/(kernel|bias).*truncated/);
    unlinkSync(shard);
    const e2 = await importError({ path: json, name: 'tj' });
    expect(e2.code).toBe('NOT_FOUND');
    expect(e2.message).toContain('group1-shard2of2.bin');
    storedNothing();
  });

  it('a name already used by different weights', async () => {
    const a = join(dir, 'a.h5');
    await writeKerasH5(a, vggReal, 'weights');
    const info = await call(handlers, wb, 'weights.import', { path: a, name: 'vggface-vgg16' });
    expect(info.id).toMatch(/^vgg16-vggface-/);
    const b = join(dir, 'b.h5');
    await writeKerasH5(b, vggReal, 'model'); // same weights, different bytes
    const e = await importError({ path: b, name: 'vggface-vgg16' });
    expect(e.code).toBe('ALREADY_EXISTS');
  });
});
