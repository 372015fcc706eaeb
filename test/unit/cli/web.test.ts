import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/fer';
import type { BridgeOptions } from '../../../src-main/transports/ws-bridge';
import { tempDir } from '../../helpers/workbench';

// `fer web` serves dist/renderer, which unit tests do not build: the real bridge gets a stand-in renderer
// folder instead, so it gets as far as listening, which is what this file is about.
const renderer = vi.hoisted(() => ({ dir: '' }));
vi.mock('../../../src-main/transports/ws-bridge', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src-main/transports/ws-bridge')>();
  return { ...real, startBridge: (o: BridgeOptions) => real.startBridge({ ...o, staticDir: renderer.dir }) };
});

const home = tempDir();
const staticDir = tempDir();
let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  writeFileSync(join(staticDir.dir, 'index.html'), '');
  renderer.dir = staticDir.dir;
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((r) => busy.close(() => r()));
  home.cleanup();
  staticDir.cleanup();
});

/** main() in this process with every output channel captured, console.error (where stacks went) included. */
async function fer(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(`${a.join(' ')}\n`)),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(`${a.map((x) => (x instanceof Error ? x.stack : String(x))).join(' ')}\n`)),
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => out.push(String(s)) > 0),
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => err.push(String(s)) > 0),
  ];
  try {
    const code = await main([...args, '--home', home.dir]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe('fer web start errors', () => {
  it('a port in use is one clear line and status 1, no stack', async () => {
    // Before: the raw EADDRINUSE error went to console.error as INTERNAL, stack and all.
    const r = await fer('web', '--port', String(busyPort));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error [CONFLICT]: Port ${busyPort} on 127.0.0.1 is already in use: pick another, or 0 for any free port.\n`);
  });

  it('a port out of range is a usage error (status 2), one line', async () => {
    for (const port of ['99999', '-1', '80.5']) {
      const r = await fer('web', `--port=${port}`);
      expect([port, r.code, r.stderr]).toEqual([port, 2, `error [BAD_ARGS]: Port ${port} is out of range: use 1-65535, or 0 for any free port.\n`]);
    }
    const r = await fer('web', '--port', 'abc', '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \[BAD_ARGS\]: --port must be a number[^\n]*\n$/);
  });
});
