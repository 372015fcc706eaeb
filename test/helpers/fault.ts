import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { Rng } from '../../src-main/data/prng';
import { spawnFer } from './fer-cli';

/**
 * Fault injection by SIGKILL: start `bin/fer.mjs` as a child process and kill it at a random moment. Five kills
 * per test by default (CI time); FER_FAULT_ITERATIONS raises it (at most 20), FER_FAULT_SEED picks other delays.
 */
export const FAULT_ITERATIONS = Math.min(20, Math.max(1, Number(process.env.FER_FAULT_ITERATIONS ?? 5)));
/** For commands whose kills mostly land in the start-up (short commands): 3 by default, FER_FAULT_ITERATIONS as above. */
export const SHORT_FAULT_ITERATIONS = process.env.FER_FAULT_ITERATIONS === undefined ? 3 : FAULT_ITERATIONS;
export const faultRng = () => new Rng(Number(process.env.FER_FAULT_SEED ?? 13));

export interface FerChild {
  child: ChildProcess;
  /** Resolves with the exit code, or 'SIGKILL' if it was killed. */
  exited: Promise<number | 'SIGKILL'>;
  /** Whether the process has exited (by itself or killed). */
  done(): boolean;
}

/**
 * `node bin/fer.mjs ARGS --home HOME`, exactly as a user runs it, started and left running (`fer()` in fer-cli.ts waits
 * for the end); stdout is kept for the commands that print JSON.
 */
export function startFer(home: string, args: string[]): FerChild & { stdout: () => string } {
  const child = spawnFer([...args, '--home', home], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  let finished = false;
  const exited = new Promise<number | 'SIGKILL'>((resolve) =>
    child.on('exit', (code, signal) => {
      finished = true;
      resolve(signal === 'SIGKILL' ? 'SIGKILL' : (code ?? -1));
    }),
  );
  return { child, exited, done: () => finished, stdout: () => out };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 10 ms until it holds or `child` exits; true if it held. */
export async function waitWhileRunning(fer: FerChild, check: () => boolean, timeoutMs = 60_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (fer.done()) return false;
    if (Date.now() > until) throw new Error('timed out waiting for the child');
    await sleep(10);
  }
  return true;
}

/** SIGKILLs `fer` after `ms` unless it exits first; resolves with its exit code, or 'SIGKILL'. */
export async function killAfter(fer: FerChild, ms: number): Promise<number | 'SIGKILL'> {
  await Promise.race([sleep(ms), fer.exited]);
  if (!fer.done()) fer.child.kill('SIGKILL');
  return fer.exited;
}

/**
 * After one command that stores at most one item (an evaluation, an ensemble) was killed or finished: it exited 0 or
 * was killed, the ids from before are all kept, at most one was added, and one that exited 0 did add one.
 * Returns how many were added.
 */
export function expectKeptPlusAtMostOne(before: number[], now: number[], end: number | 'SIGKILL'): number {
  if (end !== 'SIGKILL') expect(end).toBe(0);
  expect(now.slice(0, before.length)).toEqual(before);
  const added = now.length - before.length;
  if (end === 0) expect(added).toBe(1);
  else expect(added).toBeLessThanOrEqual(1);
  return added;
}
