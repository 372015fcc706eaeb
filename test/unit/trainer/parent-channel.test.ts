import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parentChannel } from '../../../src-main/trainer/parent-channel';

describe('the trainer talks to its parent over whichever channel it was started with', () => {
  it('uses Electron utilityProcess parentPort when present, unwrapping MessageEvent data', async () => {
    const port = new EventEmitter() as EventEmitter & { postMessage(m: unknown): void };
    const posted: unknown[] = [];
    port.postMessage = (m) => posted.push(m);
    const proc = Object.assign(new EventEmitter(), { parentPort: port }) as unknown as NodeJS.Process;
    const ch = parentChannel(proc);
    expect(ch.kind).toBe('utility-process');
    const got: unknown[] = [];
    ch.onMessage((m) => got.push(m));
    port.emit('message', { data: { type: 'stop' } });
    await ch.send({ type: 'ready' });
    expect(got).toEqual([{ type: 'stop' }]);
    expect(posted).toEqual([{ type: 'ready' }]);
  });

  it('falls back to Node IPC (process.send, message and disconnect events)', async () => {
    const sent: unknown[] = [];
    const emitter = new EventEmitter();
    const proc = Object.assign(emitter, {
      connected: true,
      send(m: unknown, _h: unknown, _o: unknown, cb: () => void) {
        sent.push(m);
        cb();
        return true;
      },
      disconnect() {
        (this as { connected: boolean }).connected = false;
      },
    }) as unknown as NodeJS.Process;
    const ch = parentChannel(proc);
    expect(ch.kind).toBe('node-ipc');
    const got: unknown[] = [];
    let gone = false;
    ch.onMessage((m) => got.push(m));
    ch.onDisconnect(() => (gone = true));
    emitter.emit('message', { type: 'start' });
    emitter.emit('disconnect');
    await ch.send({ type: 'ready' });
    ch.close();
    await ch.send({ type: 'ready' });
    expect(got).toEqual([{ type: 'start' }]);
    expect(gone).toBe(true);
    expect(sent).toEqual([{ type: 'ready' }]);
  });
});
