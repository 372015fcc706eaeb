import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../../src-main/context';
import { renderTable } from '../../../src-main/analysis/export';
import { compareTable } from '../../../src-main/evaluation/compare-table';
import { compareArgs } from '../../../src-shared/contract/evaluation';
import { inspectHome } from '../../helpers/data-assertions';
import { expectWholeEnsembles, expectWholeEvaluations, fakeEval, insertRun } from '../../helpers/evaluations';
import { expectKeptPlusAtMostOne, faultRng, killAfter, SHORT_FAULT_ITERATIONS, startFer } from '../../helpers/fault';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempDir } from '../../helpers/workbench';

const scratch = tempDir();
const home = join(scratch.dir, 'home');
const outDir = join(scratch.dir, 'tables');
const runIds: number[] = [];
const evalIds: number[] = [];
/** What `fer export` must write: the same table rendered in this process. */
let reference = '';

beforeAll(async () => {
  mkdirSync(home);
  mkdirSync(outDir);
  const wb = openWorkbench({ flag: home });
  try {
    // Stored member evaluations (a seeded noisy oracle): the commands under test read them, no model runs.
    const ds = await createSyntheticDataset(wb, { perClass: 150, seed: 6 });
    for (const seed of [1, 2, 3]) {
      const run = insertRun(wb, ds.id, seed, false);
      runIds.push(run);
      evalIds.push(fakeEval(wb, run, ds.id, 'Training', 0.5 + 0.1 * seed, seed));
    }
    reference = renderTable(compareTable(wb, compareArgs.parse({ runIds, split: 'Training' })), 'latex');
  } finally {
    await wb.close();
  }
}, 60_000);
afterAll(() => scratch.cleanup());

/** Opens the home as the next process would and checks it; returns the stored ensemble ids. */
const inspect = () =>
  inspectHome(home, (wb) => {
    expectWholeEvaluations(wb);
    return expectWholeEnsembles(wb, evalIds.length);
  });

/**
 * Kill delays relative to the uncancelled time, half aimed at the end, where the result is stored or written, the
 * rest anywhere after start-up began. The time is the fastest uncancelled run seen so far (`finished` lowers it):
 * start-up varies with the machine's load, and a kill aimed by a slow first run would land after the end.
 */
function killClock(first: number) {
  const r = faultRng();
  let took = first;
  return {
    get took() {
      return took;
    },
    next: () => Math.round(r.chance(0.5) ? r.uniform(0.8 * took, 1.02 * took) : r.uniform(0.3 * took, 1.1 * took)),
    finished: (ms: number) => void (took = Math.min(took, ms)),
  };
}

/** `killAfter`, also telling `clock` how long a run that finished took. */
async function killTimed(clock: ReturnType<typeof killClock>, fer: ReturnType<typeof startFer>, delay: number) {
  const t0 = Date.now();
  const end = await killAfter(fer, delay);
  if (end === 0) clock.finished(Date.now() - t0);
  return end;
}

describe(`\`fer ensemble\` and \`fer export\` SIGKILLed at random moments (${SHORT_FAULT_ITERATIONS} times each)`, () => {
  it('ensemble: a sound database with each ensemble whole (members and evaluation) or absent, and the next one works', async () => {
    const args = ['ensemble', ...evalIds.map(String), '--evaluations', '--vote', 'soft'];
    const t0 = Date.now();
    expect(await startFer(home, args).exited).toBe(0);
    const took = Date.now() - t0;
    let stored = await inspect();
    expect(stored).toHaveLength(1);

    const clock = killClock(took);
    const outcomes: string[] = [];
    for (let i = 0; i < SHORT_FAULT_ITERATIONS; i++) {
      const delay = clock.next();
      const end = await killTimed(clock, startFer(home, args), delay);
      const now = await inspect();
      const added = expectKeptPlusAtMostOne(stored, now, end);
      outcomes.push(`${delay} ms: ${end}${added ? ', stored' : ''}`);
      stored = now;
    }
    console.log(`killed ensembles (uncancelled ${took} ms, fastest ${clock.took} ms): ${outcomes.join('; ')}`);

    expect(await startFer(home, args).exited).toBe(0);
    expect(await inspect()).toHaveLength(stored.length + 1);
  });

  it('export: each table file whole or absent, nothing else beside it, and the next export works', async () => {
    expect(reference).toContain('\\bottomrule');
    const args = (file: string) => ['export', ...runIds.map(String), '--split', 'Training', '--format', 'latex', '--out', join(outDir, file)];
    const t0 = Date.now();
    expect(await startFer(home, args('table.tex')).exited).toBe(0);
    const took = Date.now() - t0;
    expect(readFileSync(join(outDir, 'table.tex'), 'utf8')).toBe(reference);

    const clock = killClock(took);
    const outcomes: string[] = [];
    const present = ['table.tex'];
    for (let i = 0; i < SHORT_FAULT_ITERATIONS; i++) {
      const delay = clock.next();
      // Every other kill overwrites the table already there (it must stay whole until replaced), the rest write a new one.
      const file = i % 2 === 0 ? 'table.tex' : `table-${i}.tex`;
      const end = await killTimed(clock, startFer(home, args(file)), delay);
      if (end !== 'SIGKILL') expect(end).toBe(0);
      const path = join(outDir, file);
      if (end === 0) expect(existsSync(path)).toBe(true);
      if (existsSync(path)) {
        expect(readFileSync(path, 'utf8'), `${file} after a kill at ${delay} ms`).toBe(reference);
        if (!present.includes(file)) present.push(file);
      }
      // No temp file or partial file beside the tables.
      expect(readdirSync(outDir).sort(), `after a kill at ${delay} ms`).toEqual([...present].sort());
      outcomes.push(`${delay} ms: ${end}${i % 2 === 0 ? ' (overwrite)' : existsSync(path) ? ', written' : ''}`);
    }
    console.log(`killed exports (uncancelled ${took} ms, fastest ${clock.took} ms): ${outcomes.join('; ')}`);

    expect(await startFer(home, args('after.tex')).exited).toBe(0);
    expect(readFileSync(join(outDir, 'after.tex'), 'utf8')).toBe(reference);
    await inspect();
  });
});
