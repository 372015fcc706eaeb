import type { ChildMessage } from './protocol';

/** Electron's utilityProcess gives the child `process.parentPort` instead of Node's IPC `process.send`. */
interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** How the training process talks to whoever started it, a Node fork or an Electron utility process. */
export interface ParentChannel {
  readonly kind: 'node-ipc' | 'utility-process';
  send(msg: ChildMessage): Promise<void>;
  onMessage(fn: (m: unknown) => void): void;
  /** Fires when the parent is gone (Node IPC only: a utility process dies with its parent). */
  onDisconnect(fn: () => void): void;
  close(): void;
}

export function parentChannel(proc: NodeJS.Process & { parentPort?: ParentPort } = process): ParentChannel {
  const port = proc.parentPort;
  if (port) {
    return {
      kind: 'utility-process',
      send(msg) {
        port.postMessage(msg);
        return Promise.resolve();
      },
      onMessage(fn) {
        port.on('message', (e) => fn(e.data));
      },
      onDisconnect() {},
      close() {},
    };
  }
  return {
    kind: 'node-ipc',
    send(msg) {
      return new Promise((resolve) => {
        if (!proc.send || !proc.connected) return resolve();
        proc.send(msg, undefined, {}, () => resolve());
      });
    },
    onMessage(fn) {
      proc.on('message', fn);
    },
    onDisconnect(fn) {
      proc.on('disconnect', fn);
    },
    close() {
      proc.disconnect?.();
    },
  };
}
