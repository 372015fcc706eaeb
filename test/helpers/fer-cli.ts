import { execFile, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The installed command, `bin/fer.mjs`: what a user's shell runs (tsx, then src-main/cli/fer.ts). */
export const FER_BIN = join(__dirname, '../../bin/fer.mjs');

const execFileAsync = promisify(execFile);

export interface FerRun {
  /** The exit code (null if the process was killed, e.g. by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface FerOptions {
  /** Merged over this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Kill it after this many ms (0: never, as execFile). */
  timeout?: number;
}

/** `node bin/fer.mjs ARGS` in a child process, to its end. A failing command resolves too: read `code`. */
export async function fer(args: readonly string[], opts: FerOptions = {}): Promise<FerRun> {
  try {
    const r = await execFileAsync(process.execPath, [FER_BIN, ...args], { env: { ...process.env, ...opts.env }, timeout: opts.timeout ?? 0 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number | string | null; stdout?: string; stderr?: string };
    // execFile's error carries the exit code, or a string (ENOENT…) when the process never ran: then throw.
    if (typeof e.code === 'string') throw err;
    return { code: e.code ?? null, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/**
 * `node bin/fer.mjs ARGS` started and left running, for the tests that act on the process while it runs (kill it,
 * Ctrl-C it, close its stdout, look for its workers); `fer()` above waits for the end instead. Every test that
 * starts the CLI goes through one of the two, so the command line and the environment are built in one place.
 */
export function spawnFer(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions } = {}): ChildProcess {
  return spawn(process.execPath, [FER_BIN, ...args], { stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
}

/** With --json every command prints its result as the last stdout line. */
export function lastJson<T = unknown>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

/** `fer` for a command that must succeed: rejects with its stderr otherwise. */
export async function ferSucceeds(args: readonly string[], opts: FerOptions = {}): Promise<FerRun> {
  const r = await fer(args, opts);
  if (r.code !== 0) throw new Error(`fer ${args.join(' ')} exited with ${r.code}:\n${r.stderr}`);
  return r;
}

/** `ferSucceeds` for a --json command: `json` is its result. */
export async function ferOk<T = unknown>(args: readonly string[], opts: FerOptions = {}): Promise<FerRun & { json: T }> {
  const r = await ferSucceeds(args, opts);
  return { ...r, json: lastJson<T>(r.stdout) };
}
