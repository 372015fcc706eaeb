import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../../src-main/context';
import { importDataset } from '../../../src-main/data/import';
import { listDatasets } from '../../../src-main/data/packed-store';
import { writeSynthCsv } from '../../../src-main/data/synth';
import { expectIntegrity, expectNoTempImports, expectWholeDatasets } from '../../helpers/data-assertions';
import { FAULT_ITERATIONS, faultRng, killAfter, startFer, waitWhileRunning } from '../../helpers/fault';
import { tempDir } from '../../helpers/workbench';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a killed import', () => {
  it('leaves no dataset row, and the next import sweeps its temp folder', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const home = join(dir, 'home');
    mkdirSync(home);
    await openWorkbench({ flag: home }).close(); // the schema exists before the child starts
    // A FIFO as the CSV: the child reads what we write and then blocks mid-import until we kill it.
    const fifo = join(dir, 'stream.csv');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR); // O_RDWR: does not block waiting for a reader
    cleanups.push(() => closeSync(fd));
    const row = (v: number) => `${v % 7},${Array.from({ length: 2304 }, (_, i) => (i + v) % 256).join(' ')},Training\n`;
    writeSync(fd, `emotion,pixels,Usage\n${row(1)}${row(2)}${row(3)}`);

    const { child, exited } = startFer(home, ['import', fifo, '--name', 'killed']);
    const tmp = join(home, 'tmp');
    await waitFor(() => existsSync(tmp) && readdirSync(tmp).some((e) => e.startsWith(`import-${child.pid}-`)), 60_000);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const wb = openWorkbench({ flag: home });
    try {
      expect((wb.db.prepare('SELECT count(*) AS n FROM datasets').get() as { n: number }).n).toBe(0);
      expect((wb.db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n).toBe(0);
      expect(readdirSync(wb.home.datasets)).toEqual([]);
      expect(readdirSync(tmp).length).toBe(1);
      const csv = join(dir, 'ok.csv');
      writeSynthCsv(csv, { perClass: 2, seed: 1 });
      const ds = await importDataset(wb, { path: csv, name: 'killed' });
      expect(ds.name).toBe('killed');
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      await wb.close();
    }
  });
});

describe(`imports SIGKILLed at random moments (${FAULT_ITERATIONS} times)`, () => {
  it('leave a sound database, only whole datasets, and a home the next import and `fer datasets` work in', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const home = join(dir, 'home');
    mkdirSync(home);
    await openWorkbench({ flag: home }).close();
    // ~7,000 rows (~60 MB), long enough that a random delay lands in reading, committing or after: synth faces
    // repeated, as rendering that many would take longer than the test.
    const seedCsv = join(dir, 'seed.csv');
    writeSynthCsv(seedCsv, { perClass: 100, seed: 2 });
    const [header, ...rows] = readFileSync(seedCsv, 'latin1').trimEnd().split('\n');
    const big = join(dir, 'big.csv');
    writeFileSync(big, `${header}\n${Array.from({ length: 8 }, () => rows.join('\n')).join('\n')}\n`, 'latin1');
    const rowCount = rows.length * 8;

    const r = faultRng();
    const inTmp = (pid: number) => () => readdirSync(join(home, 'tmp')).some((e) => e.startsWith(`import-${pid}-`));
    // One import left to finish measures how long the work after its temp folder appears takes here.
    const first = startFer(home, ['import', big, '--name', 'k0']);
    expect(await waitWhileRunning(first, inTmp(first.child.pid!))).toBe(true);
    const t0 = Date.now();
    expect(await first.exited).toBe(0);
    const window = Math.max(100, (Date.now() - t0) * 1.2);

    const outcomes: string[] = [];
    const committed = ['k0'];
    for (let i = 1; i <= FAULT_ITERATIONS; i++) {
      const fer = startFer(home, ['import', big, '--name', `k${i}`]);
      await waitWhileRunning(fer, inTmp(fer.child.pid!));
      const delay = Math.round(r.uniform(0, window));
      const end = await killAfter(fer, delay);
      const wb = openWorkbench({ flag: home });
      try {
        expectIntegrity(wb);
        const names = expectWholeDatasets(wb, { strayFolders: true });
        const listed = names.includes(`k${i}`);
        outcomes.push(`${delay} ms: ${end}${listed ? ', committed' : ''}`);
        if (end !== 'SIGKILL') expect(end, `k${i}`).toBe(0);
        if (end === 0) expect(listed).toBe(true);
        // The datasets committed before are all still there, and every listed one holds the whole file.
        if (listed) committed.push(`k${i}`);
        expect(names).toEqual(committed);
        for (const ds of listDatasets(wb)) expect(ds.sampleCount).toBe(rowCount);
      } finally {
        await wb.close();
      }
    }
    console.log(`killed imports (window ${Math.round(window)} ms): ${outcomes.join('; ')}`);

    // The next commands: a listing through the CLI, and an import that sweeps what the killed ones left.
    const wb = openWorkbench({ flag: home });
    try {
      const expected = listDatasets(wb).map((d) => d.name);
      const list = startFer(home, ['datasets', '--json']);
      expect(await list.exited).toBe(0);
      expect((JSON.parse(list.stdout().trim().split('\n').pop()!) as { name: string }[]).map((d) => d.name)).toEqual(expected);
      const small = join(dir, 'small.csv');
      writeSynthCsv(small, { perClass: 2, seed: 1 });
      await importDataset(wb, { path: small, name: 'after' });
      expectIntegrity(wb);
      expect(expectWholeDatasets(wb)).toEqual([...expected, 'after']);
      expectNoTempImports(wb);
    } finally {
      await wb.close();
    }
  });
});
