import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../../src-main/write-file';
import { diskFaults } from '../../helpers/disk-faults';
import { deadPid } from '../../helpers/pids';
import { useTempDirs } from '../../helpers/workbench';

vi.mock('node:fs', async (original) => (await import('../../helpers/disk-faults')).withDiskFaults(await original()));

const tmp = useTempDirs();
beforeEach(() => diskFaults.disarm());

describe('writing an exported table', () => {
  it('a full disk: a clear error naming the folder, no file and no temp file; an existing table is kept', () => {
    const dir = tmp();
    const target = join(dir, 'table.tex');
    diskFaults.arm(10);
    expect(() => writeFileAtomic(target, 'x'.repeat(100))).toThrowError(`Cannot write ${target}: the disk holding ${dir} is full. Nothing was written.`);
    expect(readdirSync(dir)).toEqual([]);

    diskFaults.disarm();
    writeFileAtomic(target, 'old table');
    diskFaults.arm(0);
    expect(() => writeFileAtomic(target, 'new table')).toThrowError(/the disk holding .* is full/);
    diskFaults.disarm();
    expect(readFileSync(target, 'utf8')).toBe('old table');
    expect(readdirSync(dir)).toEqual(['table.tex']);
  });

  it('removes the temp file an export killed before its rename left, but not a live writer’s or another file’s', () => {
    const dir = tmp();
    const dead = `.table.tex.tmp-${deadPid()}-1700000000000`;
    const live = `.table.tex.tmp-${process.ppid}-1700000000000`;
    const other = `.other.tex.tmp-${deadPid()}-1700000000000`;
    for (const f of [dead, live, other]) writeFileSync(join(dir, f), 'half a tab');
    writeFileAtomic(join(dir, 'table.tex'), 'whole');
    expect(existsSync(join(dir, dead))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([live, other, 'table.tex'].sort());
  });
});
