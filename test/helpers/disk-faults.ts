/**
 * A full disk without root: a test file mocks `node:fs` with `withDiskFaults` (see its use in
 * `test/unit/data/disk-full.test.ts`), and `diskFaults.arm(bytes)` then lets that many more bytes be written
 * before every write fails with the ENOSPC error Node raises on a full disk. Disarmed, every call goes
 * straight through. This module must not import `node:fs` itself: the mock is built from it.
 */
type Fs = typeof import('node:fs');

export const diskFaults = {
  /** Bytes still allowed; null when disarmed. */
  budget: null as number | null,
  /** Writes refused since the last arm. */
  refused: 0,
  arm(bytes = 0): void {
    this.budget = bytes;
    this.refused = 0;
  },
  disarm(): void {
    this.budget = null;
  },
};

function enospc(syscall: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall });
}

function spend(bytes: number, syscall: string): void {
  if (diskFaults.budget === null) return;
  if (bytes > diskFaults.budget) {
    diskFaults.budget = 0;
    diskFaults.refused++;
    throw enospc(syscall);
  }
  diskFaults.budget -= bytes;
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/** `fs` with writeSync and writeFileSync (the writers of imports, checkpoints and exports) able to fail. */
export function withDiskFaults(fs: Fs): Fs {
  const writeSync = ((fd: number, data: unknown, ...rest: unknown[]) => {
    // writeSync(fd, buffer, offset, length) writes `length` bytes; writeSync(fd, string) the whole string.
    const length = ArrayBuffer.isView(data) && typeof rest[1] === 'number' ? rest[1] : byteLength(data);
    spend(length, 'write');
    return (fs.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as Fs['writeSync'];
  const writeFileSync = ((file: unknown, data: unknown, ...rest: unknown[]) => {
    spend(byteLength(data), 'write');
    return (fs.writeFileSync as (...a: unknown[]) => void)(file, data, ...rest);
  }) as Fs['writeFileSync'];
  // Both the named exports and `default` (for `import fs from 'node:fs'`).
  return Object.assign({}, fs, { default: { ...fs, writeSync, writeFileSync }, writeSync, writeFileSync });
}
