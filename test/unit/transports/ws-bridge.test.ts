import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { handlers } from '../../../src-main/services/index';
import { startBridge, type Bridge } from '../../../src-main/transports/ws-bridge';
import type { ServerMessage } from '../../../src-main/transports/ws-protocol';
import { rawSocket, rawStatus, wsFrame } from '../../helpers/raw-socket';
import { tempDir, tempWorkbench } from '../../helpers/workbench';

let bridge: Bridge;
let cleanup: () => Promise<void>;
let emit: (payload: { level: 'info'; message: string; at: string }) => void;

beforeAll(async () => {
  const t = tempWorkbench();
  const staticDir = tempDir().dir;
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  bridge = await startBridge({ wb: t.wb, handlers, staticDir });
  emit = (p) => t.wb.events.emit('system.log', p);
  cleanup = async () => {
    await bridge.close();
    await t.cleanup();
  };
});
afterAll(() => cleanup());

function connect(opts: { token?: string; origin?: string }): Promise<{ ws: WebSocket; messages: ServerMessage[] }> {
  const url = `ws://127.0.0.1:${bridge.port}/ws${opts.token === undefined ? '' : `?token=${opts.token}`}`;
  const ws = new WebSocket(url, opts.origin ? { origin: opts.origin } : {});
  const messages: ServerMessage[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as ServerMessage));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function invoke(ws: WebSocket, messages: ServerMessage[], id: number, channel: string, args: unknown) {
  ws.send(JSON.stringify({ type: 'invoke', id, channel, args }));
  for (let i = 0; i < 200; i++) {
    const m = messages.find((x) => x.type === 'result' && x.id === id);
    if (m && m.type === 'result') return m.envelope;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no reply');
}

const get = (path: string) => rawStatus(bridge.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);

describe('browser bridge', () => {
  const origin = () => `http://127.0.0.1:${bridge.port}`;

  it('listens on 127.0.0.1 only', () => {
    expect(bridge.server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('refuses a connection without the token', async () => {
    await expect(connect({ origin: origin() })).rejects.toThrow('HTTP 401');
    await expect(connect({ token: 'wrong', origin: origin() })).rejects.toThrow('HTTP 401');
  });

  it('refuses a foreign Origin even with the token', async () => {
    await expect(connect({ token: bridge.token, origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect({ token: bridge.token })).rejects.toThrow('HTTP 403');
  });

  it('answers contract calls with envelopes, and refuses channels outside the contract', async () => {
    const { ws, messages } = await connect({ token: bridge.token, origin: origin() });
    const pong = await invoke(ws, messages, 1, 'system.ping', { echo: 'hi' });
    expect(pong).toMatchObject({ ok: true, value: { pong: true, echo: 'hi' } });
    const unknown = await invoke(ws, messages, 2, 'fs.readFile', { path: '/etc/passwd' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    const proto = await invoke(ws, messages, 3, '__proto__', {});
    expect(proto).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    const bad = await invoke(ws, messages, 4, 'system.ping', { echo: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_ARGS' } });
    expect((bad as { error: { message: string } }).error.message).toMatch(/echo/);
    const extra = await invoke(ws, messages, 5, 'system.ping', { nope: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'BAD_ARGS' } });
    ws.close();
  });

  it('streams service events to connected clients', async () => {
    const { ws, messages } = await connect({ token: bridge.token, origin: origin() });
    emit({ level: 'info', message: 'hello from the bus', at: 'now' });
    for (let i = 0; i < 100 && !messages.some((m) => m.type === 'event'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(messages).toContainEqual({ type: 'event', name: 'system.log', payload: { level: 'info', message: 'hello from the bus', at: 'now' } });
    ws.close();
  });

  it('serves the renderer but nothing outside its folder', async () => {
    const ok = await fetch(`http://127.0.0.1:${bridge.port}/`);
    expect(ok.status).toBe(200);
    const escape = await fetch(`http://127.0.0.1:${bridge.port}/..%2f..%2f..%2fetc%2fpasswd`);
    expect(escape.status).toBe(404);
  });

  it('answers a bad percent-escape in the path with 400 and keeps serving', async () => {
    // Each of these made decodeURIComponent throw inside the handler and ended the process, no token needed.
    for (const path of ['/%', '/%E0%A4%A', '/assets/%zz.js', '/%C0%AF', '/%00', '*']) {
      expect([path, await get(path)]).toEqual([path, 400]);
    }
    // `new URL` threw on this one (an invalid host after `//`); as a path it is simply not there.
    expect(await get('//[')).toBe(404);
    expect(await rawStatus(bridge.port, 'GET /% HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')).toBe(404);
    expect(await get('/')).toBe(200);
    expect(await get('/index.html?x=%')).toBe(200);
    expect(await rawStatus(bridge.port, 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')).toBe(405);
  });

  it('answers CONNECT with 405 instead of dropping the connection', async () => {
    // Found by ws-bridge-fuzz: Node closes a CONNECT unanswered when no 'connect' listener exists.
    expect(await rawStatus(bridge.port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n')).toBe(405);
    expect(await get('/')).toBe(200);
  });

  it('answers WebSocket protocol errors with a close code and keeps serving other clients', async () => {
    const other = await connect({ token: bridge.token, origin: origin() });
    const cases: [string, Buffer, number][] = [
      // Declares 50 MiB: refused from the header alone, far above any real request (1 MiB cap).
      ['a 50 MiB text message', wsFrame(0x1, Buffer.from('{"type":"invoke"'), { declaredLength: 50 * 1024 * 1024 }), 1009],
      ['invalid UTF-8 in a text frame', wsFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
      ['an unmasked client frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002],
    ];
    for (const [what, bytes, code] of cases) {
      const { sock, closeCode } = await rawSocket(bridge.port, bridge.token);
      sock.write(bytes);
      expect([what, await closeCode]).toEqual([what, code]);
      sock.destroy();
    }
    // Just over the 1 MiB cap is refused too (the old 16 MiB cap took it).
    const big = await rawSocket(bridge.port, bridge.token);
    big.sock.write(wsFrame(0x1, Buffer.alloc(1024 * 1024 + 1, 0x20)));
    expect(await big.closeCode).toBe(1009);
    big.sock.destroy();
    expect(await invoke(other.ws, other.messages, 1, 'system.ping', { echo: 'still here' })).toMatchObject({ ok: true, value: { echo: 'still here' } });
    const fresh = await connect({ token: bridge.token, origin: origin() });
    expect(await invoke(fresh.ws, fresh.messages, 1, 'system.ping', {})).toMatchObject({ ok: true });
    other.ws.close();
    fresh.ws.close();
  });

  it('refuses a busy port, a port out of range and a missing renderer with AppErrors, not raw Node errors', async () => {
    const t = tempWorkbench();
    const staticDir = tempDir();
    try {
      writeFileSync(join(staticDir.dir, 'index.html'), '');
      const start = (port: number, dir = staticDir.dir) => startBridge({ wb: t.wb, handlers, staticDir: dir, port });
      await expect(start(bridge.port)).rejects.toMatchObject({ name: 'AppError', code: 'CONFLICT', message: expect.stringContaining(`Port ${bridge.port}`) });
      for (const port of [99999, -1, 1.5]) await expect(start(port)).rejects.toMatchObject({ name: 'AppError', code: 'BAD_ARGS' });
      await expect(start(0, join(staticDir.dir, 'nowhere'))).rejects.toMatchObject({ name: 'AppError', code: 'NOT_FOUND' });
      expect(await get('/')).toBe(200);
    } finally {
      await t.cleanup();
      staticDir.cleanup();
    }
  });
});
