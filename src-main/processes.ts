import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a process with this id exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the entries `parent/<prefix><pid>-…` whose writer process is gone: what a writer SIGKILLed between writing
 * its temp file or folder and renaming it into place left behind (nothing else can remove it). This process's own
 * and live processes' entries stay, since they may be being written right now.
 */
export function removeDeadTemps(parent: string, prefix: string): number {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    try {
      rmSync(join(parent, entry), { recursive: true, force: true });
      removed++;
    } catch {
      // Not ours to remove after all (permissions): the write that called this goes on regardless.
    }
  }
  return removed;
}
