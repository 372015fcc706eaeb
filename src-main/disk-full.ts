/**
 * A full disk, as a file write (ENOSPC) or SQLite (SQLITE_FULL) reports it. Node's own text ("ENOSPC: no space
 * left on device, write") names neither the disk nor what to do, so every writer that can fill the disk (import,
 * checkpoints, exports) turns it into one sentence that names a folder the user knows.
 */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return code === 'ENOSPC' || code === 'SQLITE_FULL';
}

/** "the disk holding PATH is full", for the middle of a message. */
export function diskFullReason(path: string): string {
  return `the disk holding ${path} is full`;
}
