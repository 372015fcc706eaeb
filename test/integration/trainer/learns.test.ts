import { afterAll, describe, expect, it } from 'vitest';
import type { RunDetail, RunSummary } from '../../../src-shared/contract/runs';
import { ferOk } from '../../helpers/fer-cli';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';


describe('fer train on synthetic FER', () => {
  const t = tempWorkbench();
  afterAll(() => t.cleanup());

  it('trains the baseline on wasm to a held-out accuracy far above chance (1/7), recorded in the run', async () => {
    await createSyntheticDataset(t.wb, { perClass: 24, seed: 7, balanced: true, testFraction: 0.25, name: 'synth' });
    await t.wb.close(); // the CLI opens the home itself, as a user's shell would
    const args = ['train', '--dataset', 'synth', '--model', 'baseline', '--epochs', '4', '--batch', '16', '--seed', '3', '--backend', 'wasm', '--home', t.dir, '--json'];
    const out = await ferOk<RunSummary[]>(args, { timeout: 240_000 });
    const [summary] = out.json;
    expect(summary).toMatchObject({ status: 'completed', epochsDone: 4, backend: 'wasm' });
    // The progress bar and per-epoch lines go to stderr, never into the JSON on stdout.
    expect(out.stderr).toMatch(/epoch 4\/4 .*img\/s/);
    // Chance is 0.14; four epochs of the paper's baseline on 168 synthetic faces reach ~0.5.
    expect(summary!.bestValAcc).toBeGreaterThan(0.35);

    const detail = (await ferOk<RunDetail>(['run', String(summary!.id), '--home', t.dir, '--json'])).json;
    expect(detail.epochs).toHaveLength(4);
    expect(detail.epochs.every((e) => e.imgPerSec > 0 && e.valAcc !== null)).toBe(true);
    const list = (await ferOk<RunSummary[]>(['runs', '--home', t.dir, '--json'])).json;
    expect(list.map((r) => r.id)).toEqual([summary!.id]);
  });
});
