import { fork, type ChildProcess } from 'node:child_process';
import { AppError } from '../../src-shared/errors';
import { childEntry, type ChildEntry } from '../child-entry';
import type { ChildMessage, ParentMessage } from './protocol';
import { isChildMessage } from './protocol';

/** One running training process, whatever hosts it (a Node child here; Electron's utilityProcess in the app). */
export interface TrainerHandle {
  readonly pid: number | undefined;
  send(msg: ParentMessage): void;
  onMessage(fn: (msg: ChildMessage) => void): void;
  /** Exactly once, when the process is gone: its exit code or signal. */
  onExit(fn: (info: ExitInfo) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

export interface TrainerLauncher {
  launch(): TrainerHandle;
}

export type ExitInfo = { code: number | null; signal: string | null };

/**
 * A handle's exit, for every launcher: `settle` when the process is gone, and `onExit` callbacks run exactly once,
 * whether registered before or after that.
 */
export function exitOnce(): { settle(info: ExitInfo): void; onExit(fn: (info: ExitInfo) => void): void; readonly exited: ExitInfo | null } {
  let exited: ExitInfo | null = null;
  const fns: ((info: ExitInfo) => void)[] = [];
  return {
    settle(info) {
      exited = info;
      for (const fn of fns) fn(info);
    },
    onExit(fn) {
      if (exited) fn(exited);
      else fns.push(fn);
    },
    get exited() {
      return exited;
    },
  };
}

/** In the electron-vite build the trainer is its own bundle next to main's (input name `trainer`). */
function trainerEntry(): ChildEntry {
  const entry = childEntry(new URL('./child.ts', import.meta.url), new URL('./trainer.js', import.meta.url));
  if (!entry) throw new AppError('INTERNAL', 'The trainer entry (trainer/child.ts or trainer.js) is missing from this build.');
  return entry;
}

/**
 * Forks `child.ts` through tsx (as bin/fer.mjs runs the CLI) with structured-clone IPC, so typed arrays and
 * nested objects cross unchanged.
 */
export const nodeLauncher: TrainerLauncher = {
  launch() {
    const entry = trainerEntry();
    const child: ChildProcess = fork(entry.file, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced',
      // stdout is piped too: tfjs prints a banner there, and the CLI's stdout must stay clean for --json.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, FER_TRAINER_CHILD: '1' },
    });
    // Keep the last few KB of stderr: when the child dies hard, that is the only account of why.
    let stderrTail = '';
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderrTail = (stderrTail + text).slice(-4000);
      if (process.env.FER_TRAINER_STDERR) process.stderr.write(text);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exit = exitOnce();
    child.once('exit', (code, signal) => exit.settle({ code, signal }));
    return {
      pid: child.pid,
      send(msg) {
        if (child.connected) child.send(msg);
      },
      onMessage(fn) {
        child.on('message', (m) => {
          if (isChildMessage(m)) fn(m);
        });
      },
      onExit: exit.onExit,
      kill(signal = 'SIGKILL') {
        if (exit.exited === null) child.kill(signal);
      },
      get stderrTail() {
        return stderrTail;
      },
    } as TrainerHandle & { stderrTail: string };
  },
};

export function stderrTailOf(h: TrainerHandle): string {
  return (h as { stderrTail?: string }).stderrTail?.trim() ?? '';
}
