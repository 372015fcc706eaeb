import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../src-shared/contract/datasets';
import { activateBackend } from '../../../src-main/engine/backend';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { api } from '../trainer/helpers';

/** `fer train --mixup A --label-smoothing E --ema D` through the service and the real trainer (baselines at 32 px, 28 faces). */
describe('mixup, label smoothing and weight averaging from the command line', () => {
  const t = tempWorkbench();
  let ds: DatasetSummary;
  beforeAll(async () => {
    await activateBackend('wasm');
    ds = await createSyntheticDataset(t.wb, { perClass: 4, seed: 9, balanced: true });
  });

  it('trains with them, records them in the config, and fer run shows them', async () => {
    const fer = inProcessFer(t.dir);
    const common = ['--dataset', ds.name, '--input-size', '32', '--batch', '8', '--epochs', '1', '--augment', 'off', '--backend', 'wasm', '--json'];
    const res = await fer('train', ...common, '--mixup', '0.3', '--label-smoothing', '0.1', '--ema', '0.99');
    expect(res.code, res.stderr).toBe(0);
    const [run] = lastJson(res.stdout) as { id: number; status: string }[];
    expect(run!.status).toBe('completed');
    const detail = await api(t.wb, 'runs.get', { runId: run!.id });
    expect(detail.config).toMatchObject({ mixup: 0.3, labelSmoothing: 0.1, ema: 0.99 });
    expect((await fer('run', String(run!.id))).stdout).toMatch(/mixup α 0\.3, label smoothing 0\.1, weights EMA 0\.99/);
  }, 60_000);

  it('refuses values out of range, naming the field, and queues nothing', async () => {
    const fer = inProcessFer(t.dir);
    const before = (await api(t.wb, 'runs.list', {})).length;
    const tooMuch = await fer('train', '--dataset', ds.name, '--mixup', '9', '--json');
    // BAD_ARGS: the contract's schema refused a field (exit 2, as for a usage error).
    expect(tooMuch.code).toBe(2);
    expect(lastJson(tooMuch.stdout).error.message).toMatch(/config\.mixup: Too big/);
    const smoothing = await fer('train', '--dataset', ds.name, '--label-smoothing', '0.7', '--json');
    expect(lastJson(smoothing.stdout).error.message).toMatch(/config\.labelSmoothing: Too big/);
    // A decay of 1 would never move the average off the starting weights.
    const ema = await fer('train', '--dataset', ds.name, '--ema', '1', '--json');
    expect(lastJson(ema.stdout).error.message).toMatch(/config\.ema: Too big/);
    expect((await api(t.wb, 'runs.list', {})).length).toBe(before);
  });
});
