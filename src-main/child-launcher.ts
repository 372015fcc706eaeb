import { fork } from 'node:child_process';
import type { ZodType } from 'zod';
import { AppError } from '../src-shared/errors';
import type { ChildEntry } from './child-entry';

/**
 * The parent's side of every child process (the trainer, the evaluation worker): one place that starts it (Node's
 * fork, or Electron's utilityProcess in the app), keeps its stderr tail, checks what it sends against its
 * protocol, and turns its end into an exit the caller can explain. The child's side is child-port.ts.
 */

/** What a child process is: where its code is, and the messages it may send. */
export interface ChildSpec<Res> {
  /** How errors name it: "the training process", "the evaluation process". */
  label: string;
  /** Electron shows it in its task manager. */
  serviceName: string;
  entry: ChildEntry;
  /** Every message from the child is checked against this before a handler sees it. */
  messages: ZodType<Res>;
  /** Extra environment on top of this process's. */
  env?: Record<string, string>;
  /** Also copy the child's output to this process's stderr (it is always kept as the tail). */
  echo?: boolean;
}

/** How a child ended: `error` says it in a sentence, with its protocol error or its last output. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
  /** The last few KB the child wrote to stdout and stderr, trimmed. */
  stderrTail: string;
  /** Set when this side killed it for a message its protocol does not allow. */
  protocolError: AppError | null;
  error: AppError;
}

export interface ChildHandle<Req, Res> {
  readonly pid: number | undefined;
  /** Dropped once the child is gone. */
  send(msg: Req): void;
  /** Only messages that passed `spec.messages`; none after a protocol error. */
  onMessage(fn: (msg: Res) => void): void;
  /** Exactly once, when the process is gone, whether registered before or after that. */
  onExit(fn: (exit: ChildExit) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

/** A started process as a host sees it: untyped messages, raw output, its end. */
export interface RawChild {
  readonly pid: number | undefined;
  post(msg: unknown): void;
  onMessage(fn: (msg: unknown) => void): void;
  onOutput(fn: (chunk: Buffer | string) => void): void;
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  /** It could not be started at all (no exit follows on every host). */
  onError(fn: (err: Error) => void): void;
  kill(signal: NodeJS.Signals): void;
}

/** How a process is started: Node's fork here, Electron's utilityProcess registered by src-main/electron. */
export interface ChildHost {
  readonly kind: 'node-fork' | 'utility-process';
  start(entry: ChildEntry, options: { serviceName: string; env: NodeJS.ProcessEnv }): RawChild;
}

/** Bytes of output kept: when a child dies hard, its last lines are the only account of why. */
const TAIL_BYTES = 4000;

/**
 * Node's fork with structured-clone IPC (typed arrays and nested objects cross unchanged). stdout is piped
 * too: tfjs prints a banner there, and the CLI's stdout must stay clean for --json.
 */
const nodeForkHost: ChildHost = {
  kind: 'node-fork',
  start(entry, options) {
    const child = fork(entry.file, [], { execArgv: entry.execArgv, serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: options.env });
    return {
      pid: child.pid,
      post(msg) {
        if (child.connected) child.send(msg as object);
      },
      onMessage(fn) {
        child.on('message', fn);
      },
      onOutput(fn) {
        child.stdout?.on('data', fn);
        child.stderr?.on('data', fn);
      },
      onExit(fn) {
        child.once('exit', fn);
      },
      onError(fn) {
        child.on('error', fn);
      },
      kill(signal) {
        child.kill(signal);
      },
    };
  },
};

let host: ChildHost = nodeForkHost;

/** The Electron app registers its utilityProcess host before starting any child; null goes back to Node's fork. */
export function setChildHost(h: ChildHost | null): void {
  host = h ?? nodeForkHost;
}

/** "was killed by SIGKILL" / "exited with code 1": how the process ended, for a sentence about it. */
export function howItEnded(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function firstIssue(err: { issues?: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = err.issues?.[0];
  if (!issue) return 'not a message of its protocol';
  const where = issue.path.length ? issue.path.map(String).join('.') : 'message';
  return `${where}: ${issue.message}`;
}

function typeOf(msg: unknown): string {
  const t = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? `"${t.slice(0, 40)}"` : 'without a type';
}

/** Starts the child on the registered host and speaks its protocol. */
export function launchChild<Req, Res>(spec: ChildSpec<Res>): ChildHandle<Req, Res> {
  const raw = host.start(spec.entry, { serviceName: spec.serviceName, env: { ...process.env, ...spec.env } });
  let tail = '';
  raw.onOutput((chunk) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-TAIL_BYTES);
    if (spec.echo) process.stderr.write(text);
  });
  let exited: ChildExit | null = null;
  let protocolError: AppError | null = null;
  const exitFns: ((exit: ChildExit) => void)[] = [];
  const msgFns: ((msg: Res) => void)[] = [];
  const settle = (code: number | null, signal: string | null, startError?: Error) => {
    if (exited) return;
    const stderrTail = tail.trim();
    const output = stderrTail ? ` Its last output: ${stderrTail.split('\n').slice(-5).join('\n')}` : '';
    const error =
      protocolError ??
      (startError
        ? new AppError('INTERNAL', `${capitalise(spec.label)} failed to start: ${startError.message}`)
        : new AppError(signal ? 'CANCELLED' : 'INTERNAL', `${capitalise(spec.label)} ${howItEnded(code, signal)}.${output}`));
    exited = { code, signal, stderrTail, protocolError, error };
    for (const fn of exitFns.splice(0)) fn(exited);
  };
  raw.onExit((code, signal) => settle(code, signal));
  raw.onError((err) => {
    // A fork that never started has no exit to wait for; one that did is killed so that its exit follows.
    if (raw.pid === undefined) settle(null, null, err);
    else raw.kill('SIGKILL');
  });
  raw.onMessage((msg) => {
    if (protocolError || exited) return;
    const parsed = spec.messages.safeParse(msg);
    if (parsed.success) {
      // The value as sent, not zod's copy: typed arrays and the like stay the objects structured clone made.
      for (const fn of msgFns) fn(msg as Res);
      return;
    }
    // A child that breaks its protocol cannot be trusted with the rest of the job: stop it, and say why on exit.
    protocolError = new AppError('INTERNAL', `${capitalise(spec.label)} sent a message its protocol does not allow (type ${typeOf(msg)}; ${firstIssue(parsed.error)}), so it was stopped.`);
    raw.kill('SIGKILL');
  });
  return {
    // A getter: a utility process has its pid only once Electron has spawned it.
    get pid() {
      return raw.pid;
    },
    send(msg) {
      if (!exited) raw.post(msg);
    },
    onMessage(fn) {
      msgFns.push(fn);
    },
    onExit(fn) {
      if (exited) fn(exited);
      else exitFns.push(fn);
    },
    kill(signal = 'SIGKILL') {
      if (!exited) raw.kill(signal);
    },
  };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
