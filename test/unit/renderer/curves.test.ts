import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { recordEpoch } from '../../../src-main/store/runs';
import { selectionCurves } from '../../../src-renderer/lib/curves';
import { inProcessFer } from '../../helpers/cli';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/** The Compare view's "Download SVG": the runs' details as the UI receives them from runs.get, drawn as `fer curves` draws them. */
let t: ReturnType<typeof tempWorkbench>;
let [a, b, empty] = [0, 0, 0];

beforeAll(async () => {
  t = tempWorkbench();
  const ds = (await createSyntheticDataset(t.wb, { perClass: 2, balanced: true, seed: 31, name: 'ui-curves' })).id;
  [a, b, empty] = [insertRun(t.wb, ds, 1, false, 'plain'), insertRun(t.wb, ds, 2, true, 'weighted'), insertRun(t.wb, ds, 3, false, 'no epochs')];
  for (let e = 1; e <= 5; e++) {
    const m = { epoch: e, loss: 1.9 / e, acc: 0.3 + 0.04 * e, valLoss: 1.7 / e + 0.2, valAcc: 0.28 + 0.03 * e, lr: 0.001, imgPerSec: 50, seconds: 2 };
    recordEpoch(t.wb, a, m, null, e === 4, null);
    recordEpoch(t.wb, b, { ...m, loss: m.loss * 1.1, valAcc: m.valAcc + 0.01 }, null, e === 5, null);
  }
});
afterAll(() => t.cleanup());

const details = (ids: number[]) => Promise.all(ids.map((runId) => call(handlers, t.wb, 'runs.get', { runId })));

describe('selectionCurves', () => {
  it('saves byte for byte the SVG `fer curves` writes for the same runs', async () => {
    const { svg, leftOut } = selectionCurves(await details([a, b]));
    expect(leftOut).toEqual([]);
    const cli = await inProcessFer(t.dir)('curves', String(a), String(b));
    expect(cli.code, cli.stderr).toBe(0);
    expect(svg).toBe(cli.stdout);
    expect(svg).toContain(`>#${b} weighted (best epoch 5)</text>`);
  });

  it('leaves out and names a selected run without epochs, and refuses a selection with none', async () => {
    const { svg, leftOut } = selectionCurves(await details([a, empty, b]));
    expect(leftOut).toEqual([`#${empty} no epochs`]);
    expect(svg).toBe(selectionCurves(await details([a, b])).svg);
    expect(() => selectionCurves([])).toThrow(/No selected run has a finished epoch/);
    await expect(details([empty]).then(selectionCurves)).rejects.toThrow(`No selected run has a finished epoch to draw (#${empty} no epochs).`);
  });
});
