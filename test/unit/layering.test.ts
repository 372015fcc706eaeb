import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(__dirname, '../..');

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(ts|svelte)$/.test(name)) out.push(p);
  }
  return out;
}

const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => ({ typeOnly: Boolean(m[1]), spec: m[2]! }));

describe('folders say where code runs', () => {
  it('only src-main/electron and src-preload import electron', () => {
    const offenders = [...files(join(REPO, 'src-main')), ...files(join(REPO, 'src-shared')), ...files(join(REPO, 'src-renderer'))]
      .filter((f) => !f.includes(`${join('src-main', 'electron')}`))
      .filter((f) => importsOf(f).some((i) => i.spec === 'electron' || i.spec.startsWith('electron/')))
      .map((f) => relative(REPO, f));
    expect(offenders).toEqual([]);
  });

  it('the renderer imports no Node or native module at run time', () => {
    const forbidden = /^(node:|fs$|path$|child_process$|better-sqlite3|@tensorflow\/|sharp|h5wasm|ws$|electron)/;
    const offenders: string[] = [];
    for (const f of files(join(REPO, 'src-renderer'))) {
      for (const i of importsOf(f)) {
        if (i.typeOnly) continue;
        if (forbidden.test(i.spec) || (i.spec.includes('src-main/') && !i.spec.endsWith('ws-protocol'))) offenders.push(`${relative(REPO, f)} → ${i.spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the Electron window keeps its security settings', () => {
    const main = readFileSync(join(REPO, 'src-main/electron/main.ts'), 'utf8');
    expect(main).toMatch(/contextIsolation:\s*true/);
    expect(main).toMatch(/sandbox:\s*true/);
    expect(main).toMatch(/nodeIntegration:\s*false/);
    const preload = readFileSync(join(REPO, 'src-preload/index.ts'), 'utf8');
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*[,)]/);
    expect(preload).toMatch(/invokeNames\.has\(channel\)/);
  });
});

describe('the preload channel lists', () => {
  it('hold exactly the contract channels', async () => {
    const { INVOKE_NAMES, EVENT_NAMES } = await import('../../src-shared/contract');
    const { INVOKE_CHANNEL_NAMES, EVENT_CHANNEL_NAMES } = await import('../../src-shared/channel-names');
    expect([...INVOKE_CHANNEL_NAMES].sort()).toEqual([...INVOKE_NAMES].sort());
    expect([...EVENT_CHANNEL_NAMES].sort()).toEqual([...EVENT_NAMES].sort());
  });

  it('the preload imports nothing but electron and the channel names (a sandboxed preload can require only electron)', () => {
    const specs = importsOf(join(REPO, 'src-preload/index.ts')).filter((i) => !i.typeOnly).map((i) => i.spec);
    expect(specs.sort()).toEqual(['../src-shared/channel-names', 'electron']);
  });
});
