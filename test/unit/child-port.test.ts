import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ORPHANED_EXIT_CODE, parentPort, type ChildProc } from '../../src-main/child-port';
import { parentMessageSchema, type ChildMessage, type ParentMessage } from '../../src-main/trainer/protocol';

describe('a child talks to its parent over whichever channel it was started with', () => {
  it('uses Electron utilityProcess parentPort when present, unwrapping MessageEvent data', async () => {
    const port = new EventEmitter() as EventEmitter & { postMessage(m: unknown): void };
    const posted: unknown[] = [];
    port.postMessage = (m) => posted.push(m);
    const proc = Object.assign(new EventEmitter(), { parentPort: port }) as unknown as ChildProc;
    const ch = parentPort<ParentMessage, ChildMessage>({ requests: parentMessageSchema }, proc);
    expect(ch.kind).toBe('utility-process');
    const got: unknown[] = [];
    ch.onRequest((m) => got.push(m));
    port.emit('message', { data: { type: 'stop' } });
    await ch.send({ type: 'ready' });
    expect(got).toEqual([{ type: 'stop' }]);
    expect(posted).toEqual([{ type: 'ready' }]);
  });

  it('falls back to Node IPC, and exits with code 3 when the parent goes while the job matters', async () => {
    const sent: unknown[] = [];
    const exits: number[] = [];
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
      exit(code: number) {
        exits.push(code);
      },
    }) as unknown as ChildProc;
    let busy = false;
    const ch = parentPort<ParentMessage, ChildMessage>({ requests: parentMessageSchema, exitWhenOrphaned: () => busy }, proc);
    expect(ch.kind).toBe('node-ipc');
    const got: unknown[] = [];
    ch.onRequest((m) => got.push(m));
    emitter.emit('message', { type: 'stop' });
    emitter.emit('disconnect');
    expect(exits).toEqual([]);
    busy = true;
    emitter.emit('disconnect');
    expect(exits).toEqual([ORPHANED_EXIT_CODE]);
    await ch.send({ type: 'ready' });
    ch.close();
    await ch.send({ type: 'ready' });
    expect(got).toEqual([{ type: 'stop' }]);
    expect(sent).toEqual([{ type: 'ready' }]);
  });

  it('refuses a request its protocol does not allow, naming the field, and hands it to no handler', () => {
    const emitter = new EventEmitter();
    const proc = Object.assign(emitter, { connected: true }) as unknown as ChildProc;
    const problems: string[] = [];
    const ch = parentPort<ParentMessage, ChildMessage>({ requests: parentMessageSchema, onMalformed: (p) => problems.push(p) }, proc);
    const got: unknown[] = [];
    ch.onRequest((m) => got.push(m));
    emitter.emit('message', { type: 'start', runId: 'one', home: '/tmp', config: {}, resume: false });
    emitter.emit('message', { type: 'launch' });
    expect(got).toEqual([]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^Refused a request its protocol does not allow \(runId: /);
    expect(problems[1]).toMatch(/\(type: /);
  });
});
