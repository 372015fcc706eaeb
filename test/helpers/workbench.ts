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
