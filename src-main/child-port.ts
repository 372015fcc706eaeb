import type { ZodType } from 'zod';

/**
 * The child's side of child-launcher.ts, for every child process: how it talks to whoever started it (Node's
 * IPC after a fork, or Electron's `process.parentPort` in a utility process), with the parent's requests checked
 * against its protocol and the same rule when the parent dies.
 */

/** Electron's utilityProcess gives the child `process.parentPort` instead of Node's IPC `process.send`. */
interface UtilityParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export type ChildProc = NodeJS.Process & { parentPort?: UtilityParentPort };

export interface ParentPort<Req, Res> {
  readonly kind: 'node-ipc' | 'utility-process';
  /** Resolves once the message is handed over (at once when the parent is gone: nobody is left to tell). */
  send(msg: Res): Promise<void>;
  /** Only requests that passed `requests`. */
  onRequest(fn: (req: Req) => void): void;
  /** Lets go of the channel (Node IPC), so a finished child's event loop can empty. */
  close(): void;
}

export interface PortOptions<Req> {
  requests: ZodType<Req>;
  /**
   * Whether losing the parent now should end this process (exit code 3). Orphaned mid-job, nobody would record
   * the result and the job would run on under PID 1. A child that has finished, or closed the channel itself,
   * says false. Node's IPC only: a utility process dies with Electron's main process.
   */
  exitWhenOrphaned?: () => boolean;
  /** Where a refused request is reported (its stderr tail reaches the parent's error); tests swap it. */
  onMalformed?: (problem: string) => void;
}

/** The child exits with this when its parent is gone. */
export const ORPHANED_EXIT_CODE = 3;
/** The child exits with this when the parent sent it something its protocol does not allow. */
export const MALFORMED_REQUEST_EXIT_CODE = 2;

function refuse(problem: string): void {
  process.stderr.write(`${problem}\n`);
  process.exit(MALFORMED_REQUEST_EXIT_CODE);
}

export function parentPort<Req, Res>(options: PortOptions<Req>, proc: ChildProc = process): ParentPort<Req, Res> {
  const check = (m: unknown, fn: (req: Req) => void) => {
    const parsed = options.requests.safeParse(m);
    if (parsed.success) return fn(m as Req);
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : 'request';
    (options.onMalformed ?? refuse)(`Refused a request its protocol does not allow (${where}: ${issue?.message ?? 'invalid'}).`);
  };
  const port = proc.parentPort;
  if (port) {
    return {
      kind: 'utility-process',
      send(msg) {
        port.postMessage(msg);
        return Promise.resolve();
      },
      onRequest(fn) {
        port.on('message', (e) => check(e.data, fn));
      },
      close() {},
    };
  }
  const orphaned = options.exitWhenOrphaned ?? (() => true);
  proc.on('disconnect', () => {
    if (orphaned()) proc.exit(ORPHANED_EXIT_CODE);
  });
  return {
    kind: 'node-ipc',
    send(msg) {
      return new Promise((resolve) => {
        if (!proc.send || !proc.connected) return resolve();
        proc.send(msg, undefined, {}, () => resolve());
      });
    },
    onRequest(fn) {
      proc.on('message', (m: unknown) => check(m, fn));
    },
    close() {
      proc.disconnect?.();
    },
  };
}
