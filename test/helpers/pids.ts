import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** The id of a process that has exited (a node that ran nothing), for leftovers "of a killed writer". */
export function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  if (!pid) throw new Error('could not start a process');
  return pid;
}

/** Running, not a zombie: an orphan's exit is reaped by PID 1, which in a container may never do it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}
