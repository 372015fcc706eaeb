import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tsxLoader } from '../../src-main/child-entry';
import { launchChild, type ChildExit } from '../../src-main/child-launcher';
import { MALFORMED_REQUEST_EXIT_CODE } from '../../src-main/child-port';
import { alive } from '../helpers/pids';

/** Tiny children (test/helpers/children/), so these tests cost start-ups, not training. */
const child = (name: string) => fileURLToPath(new URL(`../helpers/children/${name}`, import.meta.url));
const progress = z.object({ type: z.literal('progress'), done: z.number().int(), total: z.number().int() });
const tsx = () => ['--import', tsxLoader()];

const exited = (h: { onExit(fn: (e: ChildExit) => void): void }) => new Promise<ChildExit>((resolve) => h.onExit(resolve));

const started: ChildProcess[] = [];
const strays: number[] = [];
afterAll(() => {
  for (const p of started) p.kill('SIGKILL');
  for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

describe('the child-process launcher (trainer and evaluation worker alike)', () => {
  it('a child that dies before answering ends in an error that carries its exit code and its last output', async () => {
    const h = launchChild({ label: 'the test process', serviceName: 'test', entry: { file: child('dies.mjs'), execArgv: [] }, messages: progress });
    const exit = await exited(h);
    expect(exit).toMatchObject({ code: 7, signal: null, protocolError: null });
    expect(exit.stderrTail).toContain('fatal: the disk is on fire');
    expect(exit.error.code).toBe('INTERNAL');
    expect(exit.error.message).toMatch(/^The test process exited with code 7\. Its last output: loading the checkpoint\nfatal: the disk is on fire$/);
    // Registered after the end: still called, with the same exit.
    expect(await exited(h)).toBe(exit);
  }, 10_000);

  it('a malformed message stops the child with a protocol error naming the field; handlers see only valid messages', async () => {
    const seen: unknown[] = [];
    const h = launchChild({ label: 'the test process', serviceName: 'test', entry: { file: child('malformed.mjs'), execArgv: [] }, messages: progress });
    h.onMessage((m) => seen.push(m));
    const exit = await exited(h);
    expect(seen).toEqual([{ type: 'progress', done: 1, total: 2 }]);
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.protocolError).not.toBeNull();
    expect(exit.error).toBe(exit.protocolError);
    expect(exit.error.message).toMatch(/^The test process sent a message its protocol does not allow \(type "progress"; done: .+\), so it was stopped\.$/);
    // This process is unaffected: the next child starts and reports as usual.
    const next = launchChild({ label: 'the test process', serviceName: 'test', entry: { file: child('dies.mjs'), execArgv: [] }, messages: progress });
    expect((await exited(next)).code).toBe(7);
  }, 10_000);

  it('a request the child\'s protocol does not allow ends the child (code 2) with the reason in the error', async () => {
    const h = launchChild<{ type: string }, unknown>({ label: 'the busy process', serviceName: 'test', entry: { file: child('busy.ts'), execArgv: tsx() }, messages: z.unknown() });
    h.send({ type: 'launch the rockets' });
    const exit = await exited(h);
    expect(exit.code).toBe(MALFORMED_REQUEST_EXIT_CODE);
    expect(exit.error.message).toMatch(/exited with code 2\. Its last output: Refused a request its protocol does not allow \(type: /);
  }, 20_000);

  it('a child exits when its parent is SIGKILLed mid-job, instead of running on under PID 1', async () => {
    const parent = spawn(process.execPath, ['--import', tsxLoader(), child('parent.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(parent);
    let out = '';
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /child (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      parent.on('exit', () => reject(new Error(`parent exited early: ${out}`)));
    });
    strays.push(pid);
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 3000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid), `child ${pid} still running 3 s after its parent was killed`).toBe(false);
  }, 20_000);
});
