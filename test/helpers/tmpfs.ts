import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type SmallDisk = { dir: string; unmount: () => void } | { skip: string };

/**
 * A real small file system: a tmpfs of `bytes` mounted on a fresh folder. Only root may mount on Linux (and a
 * container may forbid it even then), so where it cannot, the result says why and the test skips with that reason.
 */
export function mountTmpfs(bytes: number): SmallDisk {
  if (process.platform !== 'linux') return { skip: `a tmpfs needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root (run the tests as root to include this case)' };
  const dir = mkdtempSync(join(tmpdir(), 'fer-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmdirSync(dir);
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    return { skip: `cannot mount a tmpfs here: ${why}` };
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmdirSync(dir);
    },
  };
}

/** Writes zeros to `file` until the disk is full; returns the bytes written. */
export function fillDisk(file: string): number {
  const chunk = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'w');
  let total = 0;
  try {
    for (;;) {
      try {
        total += writeSync(fd, chunk);
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOSPC') return total;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}
