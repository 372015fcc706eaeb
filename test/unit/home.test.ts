import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveHome } from '../../src-main/home';
import { tempDir } from '../helpers/workbench';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

describe('workbench home', () => {
  it('uses --home over FER_HOME over the default, and lays out its folders', () => {
    const a = tempDir();
    const b = tempDir();
    cleanups.push(a.cleanup, b.cleanup);
    expect(resolveHome({ flag: a.dir, env: { FER_HOME: b.dir } }).root).toBe(a.dir);
    const home = resolveHome({ env: { FER_HOME: b.dir } });
    expect(home.root).toBe(b.dir);
    for (const d of [home.datasets, home.runs, home.weights, home.tmp]) expect(existsSync(d)).toBe(true);
  });

  it('creates the default home but refuses a missing explicit one', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    expect(resolveHome({ env: {}, fallback: join(t.dir, 'fresh') }).root).toBe(join(t.dir, 'fresh'));
    expect(() => resolveHome({ flag: join(t.dir, 'typo'), env: {} })).toThrow(/does not exist/);
    try {
      resolveHome({ flag: join(t.dir, 'typo'), env: {} });
    } catch (err) {
      expect((err as { code: string }).code).toBe('HOME_MISSING');
    }
    writeFileSync(join(t.dir, 'file'), 'x');
    expect(() => resolveHome({ flag: join(t.dir, 'file'), env: {} })).toThrow(/not a directory/);
  });

  it('says HOME_UNWRITABLE when its folders cannot be created', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    writeFileSync(join(t.dir, 'datasets'), 'a file where a folder must go');
    expect(() => resolveHome({ flag: t.dir, env: {} })).toThrow(expect.objectContaining({ code: 'HOME_UNWRITABLE' }));
  });

  // Root bypasses file modes, and CI runs as root, so this one only runs as an ordinary user.
  it.skipIf(process.getuid?.() === 0)('refuses an unwritable home', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const ro = join(t.dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    expect(() => resolveHome({ flag: ro, env: {} })).toThrow(/not writable/);
  });
});
