import { utilityProcess } from 'electron';
import type { ChildHost } from '../child-launcher';

/**
 * In the app, child processes (the trainer, the evaluation worker) run as Electron utility processes: Node
 * environments of their own that Electron supervises and ends with the app, so tfjs's synchronous kernels never
 * block the window's main process. main.ts registers this host with child-launcher.ts, which does the rest
 * (protocol checks, stderr tail, exits) as it does for Node's fork.
 */
export const utilityHost: ChildHost = {
  kind: 'utility-process',
  start(entry, options) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
    const child = utilityProcess.fork(entry.file, [], { serviceName: options.serviceName, stdio: 'pipe', env, execArgv: entry.execArgv });
    let gone = false;
    child.on('exit', () => (gone = true));
    return {
      get pid() {
        return child.pid;
      },
      post(msg) {
        if (!gone) child.postMessage(msg);
      },
      onMessage(fn) {
        child.on('message', fn);
      },
      onOutput(fn) {
        child.stdout?.on('data', fn);
        child.stderr?.on('data', fn);
      },
      // Electron reports only the exit code; a utility process killed by a signal exits with a code too.
      onExit(fn) {
        child.on('exit', (code) => fn(code, null));
      },
      // A utility process that cannot start still exits, with a code: there is no separate start error.
      onError() {},
      // Electron's kill() takes no signal: SIGTERM on POSIX. Stops and aborts arrive as messages or exits anyway.
      kill() {
        if (!gone) child.kill();
      },
    };
  },
};
