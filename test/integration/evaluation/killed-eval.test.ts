import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../../src-main/context';
import { inspectHome } from '../../helpers/data-assertions';
import { expectWholeEvaluations, insertRun, saveStandInCheckpoint } from '../../helpers/evaluations';
import { expectKeptPlusAtMostOne, FAULT_ITERATIONS, faultRng, killAfter, startFer } from '../../helpers/fault';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempDir } from '../../helpers/workbench';

const scratch = tempDir();
const home = join(scratch.dir, 'home');
let runId = 0;

beforeAll(async () => {
  await tf.setBackend('cpu');
  mkdirSync(home);
  const wb = openWorkbench({ flag: home });
  try {
    const ds = await createSyntheticDataset(wb, { perClass: 60, seed: 4 });
    runId = insertRun(wb, ds.id, 1, false, 'killed-eval');
    // An untrained stand-in checkpoint: training one would cost the whole budget.
    await saveStandInCheckpoint(wb, runId);
  } finally {
    await wb.close();
  }
}, 120_000);
afterAll(() => scratch.cleanup());

/** Opens the home as the next process would and checks it; returns the stored evaluation ids. */
const inspect = () => inspectHome(home, expectWholeEvaluations);

describe(`\`fer eval\` SIGKILLed at random moments (${FAULT_ITERATIONS} times)`, () => {
  it('leaves a sound database with each evaluation whole or absent, and the next eval works', async () => {
    const evalArgs = ['eval', String(runId), '--split', 'Training'];
    // One eval left to finish measures how long the command takes here; kills then fall anywhere from the
    // middle of the start-up through prediction and storing to just after the end.
    const t0 = Date.now();
    expect(await startFer(home, evalArgs).exited).toBe(0);
    const took = Date.now() - t0;
    let stored = await inspect();
    expect(stored).toHaveLength(1);

    const r = faultRng();
    const outcomes: string[] = [];
    for (let i = 0; i < FAULT_ITERATIONS; i++) {
      // Half the kills aim at the end, where the predictions are stored; the rest anywhere after start-up began.
      const delay = Math.round(r.chance(0.5) ? r.uniform(0.85 * took, 1.05 * took) : r.uniform(0.3 * took, 1.1 * took));
      const end = await killAfter(startFer(home, evalArgs), delay);
      const now = await inspect();
      const added = expectKeptPlusAtMostOne(stored, now, end);
      outcomes.push(`${delay} ms: ${end}${added ? ', stored' : ''}`);
      stored = now;
    }
    console.log(`killed evals (uncancelled ${took} ms): ${outcomes.join('; ')}`);

    const next = startFer(home, [...evalArgs, '--json']);
    expect(await next.exited).toBe(0);
    const after = await inspect();
    expect(after).toHaveLength(stored.length + 1);
  });
});
