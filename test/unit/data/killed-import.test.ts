import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../../src-main/context';
import { importDataset } from '../../../src-main/data/import';
import { writeSynthCsv } from '../../../src-main/data/synth';
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

    const child = spawn(process.execPath, ['bin/fer.mjs', 'import', fifo, '--name', 'killed', '--home', home], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (_code, signal) => r(signal === 'SIGKILL' ? -9 : _code)));
    const tmp = join(home, 'tmp');
    await waitFor(() => existsSync(tmp) && readdirSync(tmp).some((e) => e.startsWith(`import-${child.pid}-`)), 60_000);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    expect(await exited).toBe(-9);

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
