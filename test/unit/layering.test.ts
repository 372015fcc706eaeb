import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const REPO = join(__dirname, '../..');

// Which folder may import what is the `local/layers` rule of eslint.config.mjs (table in lint/layers.mjs), run
// over the whole tree by `npm run lint` and `npm test`. These cases make sure the rule refuses what the
// architecture forbids (a rule that never fires would pass silently), on files that exist only here.
const eslint = new ESLint({ cwd: REPO });
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO, file) });
  return result!.messages.filter((m) => m.ruleId === 'local/layers').map((m) => m.message);
}

describe('folders say where code runs (the lint rule)', () => {
  it('only src-main/electron and src-preload import electron', async () => {
    for (const file of ['src-main/services/x.ts', 'src-main/engine/x.ts', 'src-shared/x.ts', 'src-renderer/lib/x.ts']) {
      expect(await layerErrors(file, "import { app } from 'electron';\nvoid app;\n"), file).toEqual([expect.stringContaining("may not import 'electron'")]);
    }
    expect(await layerErrors('src-main/electron/x.ts', "import { app } from 'electron';\nvoid app;\n")).toEqual([]);
    expect(await layerErrors('src-preload/x.ts', "import { contextBridge } from 'electron';\nvoid contextBridge;\n")).toEqual([]);
  });

  it('the renderer imports no Node module, native package or src-main code; bridge protocol types only with import type', async () => {
    for (const spec of ['node:fs', 'path', 'better-sqlite3', '@tensorflow/tfjs', 'sharp', 'ws', '../../src-main/services/runs']) {
      expect(await layerErrors('src-renderer/lib/x.ts', `import * as m from '${spec}';\nvoid m;\n`), spec).toHaveLength(1);
    }
    expect(await layerErrors('src-renderer/lib/x.ts', "import type { ClientMessage } from '../../src-main/transports/ws-protocol';\nexport type M = ClientMessage;\n")).toEqual([]);
    expect(await layerErrors('src-renderer/lib/x.ts', "import { x } from '../../src-main/transports/ws-protocol';\nvoid x;\n")).toEqual([expect.stringContaining('except with `import type`')]);
    // A component's <script>, read through lint/svelte-scripts.mjs: the message points at the component's own line.
    const [result] = await eslint.lintText('<p>hi</p>\n<script lang="ts">\n  import { openWorkbench } from \'../../src-main/context\';\n</script>\n', { filePath: join(REPO, 'src-renderer/views/X.svelte') });
    expect(result!.messages.map((m) => [m.ruleId, m.line])).toEqual([['local/layers', 3]]);
  });

  it('src-shared stays isomorphic: no Node modules, no src-main, src-renderer or src-preload', async () => {
    for (const spec of ['node:path', 'fs', '../src-main/context', '../src-renderer/lib/errors', '../src-preload/index']) {
      expect(await layerErrors('src-shared/x.ts', `import * as m from '${spec}';\nvoid m;\n`), spec).toHaveLength(1);
    }
    expect(await layerErrors('src-shared/contract/x.ts', "import { z } from 'zod';\nimport { EMOTIONS } from '../labels';\nvoid z, EMOTIONS;\n")).toEqual([]);
  });

  it('the preload loads nothing but electron and the channel names (a sandboxed preload can require only electron)', async () => {
    expect(await layerErrors('src-preload/x.ts', "import { INVOKE_NAMES } from '../src-shared/contract';\nvoid INVOKE_NAMES;\n")).toEqual([expect.stringContaining('except with `import type`')]);
    expect(await layerErrors('src-preload/x.ts', "import { z } from 'zod';\nvoid z;\n")).toHaveLength(1);
    expect(await layerErrors('src-preload/x.ts', "import { INVOKE_CHANNEL_NAMES } from '../src-shared/channel-names';\nimport type { Envelope } from '../src-shared/errors';\nexport type E = Envelope<unknown>;\nvoid INVOKE_CHANNEL_NAMES;\n")).toEqual([]);
  });

  it('src-main is layered: the engine imports no job, service or front end; services no front end; a new folder must be placed', async () => {
    for (const spec of ['../services/runs', '../trainer/queue', '../evaluation/run-eval', '../studies/summary', '../cli/fer']) {
      expect(await layerErrors('src-main/engine/x.ts', `import * as m from '${spec}';\nvoid m;\n`), spec).toEqual([expect.stringContaining('A lower layer never imports a higher one')]);
    }
    expect(await layerErrors('src-main/store/x.ts', "import * as m from '../data/packed-store';\nvoid m;\n")).toHaveLength(1);
    expect(await layerErrors('src-main/services/x.ts', "import * as m from '../transports/ws-bridge';\nvoid m;\n")).toHaveLength(1);
    expect(await layerErrors('src-main/services/x.ts', "import * as m from '../new-thing';\nvoid m;\n")).toEqual([expect.stringContaining('in no layer of lint/layers.mjs')]);
    // Allowed edges, judged by where the path resolves, however deep the importer sits.
    expect(await layerErrors('src-main/engine/models/blocks/x.ts', "import type { Workbench } from '../../../context';\nimport { loadSplit } from '../../../data/packed-store';\nexport type W = Workbench;\nvoid loadSplit;\n")).toEqual([]);
    expect(await layerErrors('src-main/cli/x.ts', "import * as m from '../transports/ws-bridge';\nimport * as s from '../services';\nvoid m, s;\n")).toEqual([]);
  });
});

describe('one data layer (the lint rule)', () => {
  async function sqlErrors(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(REPO, file) });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
  }
  it('SQL is written only in src-main/store: a statement anywhere else in src-main is refused', async () => {
    const sql = "declare const db: { prepare(s: string): unknown; exec(s: string): void; pragma(s: string): void };\n";
    for (const file of ['src-main/services/x.ts', 'src-main/data/x.ts', 'src-main/engine/weights/x.ts', 'src-main/trainer/x.ts']) {
      expect(await sqlErrors(file, `${sql}db.prepare('SELECT 1');\n`), file).toEqual([expect.stringContaining('src-main/store/')]);
      expect(await sqlErrors(file, `${sql}db.exec(\`DELETE FROM runs\`);\n`), file).toHaveLength(1);
      expect(await sqlErrors(file, `${sql}db.pragma('user_version');\n`), file).toHaveLength(1);
    }
    expect(await sqlErrors('src-main/store/x.ts', `${sql}db.prepare('SELECT 1');\ndb.exec('VACUUM');\n`)).toEqual([]);
    // Not SQL: a regular expression's exec and the engine's two-argument batch prepare.
    expect(await sqlErrors('src-main/services/x.ts', "const m = /a/.exec(String(1));\ndeclare const o: { prepare(a: number, b: number): void };\no.prepare(1, 2);\nvoid m;\n")).toEqual([]);
  });
});

describe('the Electron shell', () => {
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
});
