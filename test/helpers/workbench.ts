import { afterEach, beforeEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkbench, type Workbench } from '../../src-main/context';

/** A workbench over a fresh temp home; `cleanup` closes it and removes the folder. */
export function tempWorkbench(): { wb: Workbench; dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'fer-test-'));
  const wb = openWorkbench({ flag: dir });
  return {
    wb,
    dir,
    async cleanup() {
      await wb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function tempDir(prefix = 'fer-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh workbench and scratch folder for every test in the file: registers its own beforeEach/afterEach.
 * Read `ctx.wb` and `ctx.dir` inside tests (they change per test).
 */
export function useFreshWorkbench(): { readonly wb: Workbench; readonly dir: string } {
  let current: { wb: Workbench; dir: string } | null = null;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeEach(() => {
    const t = tempWorkbench();
    const d = tempDir();
    current = { wb: t.wb, dir: d.dir };
    cleanups.push(t.cleanup, d.cleanup);
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0)) await fn();
  });
  return {
    get wb() {
      if (!current) throw new Error('useFreshWorkbench: read ctx.wb inside a test');
      return current.wb;
    },
    get dir() {
      if (!current) throw new Error('useFreshWorkbench: read ctx.dir inside a test');
      return current.dir;
    },
  };
}

/** `tmp()` makes a scratch folder that is removed after the current test. */
export function useTempDirs(): () => string {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((fn) => fn()));
  return () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };
}
