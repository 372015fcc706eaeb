import { spawnSync } from 'node:child_process';

/** The id of a process that has exited (a node that ran nothing), for leftovers "of a killed writer". */
export function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  if (!pid) throw new Error('could not start a process');
  return pid;
}
