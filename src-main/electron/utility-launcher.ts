import { utilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import { exitOnce, type TrainerHandle, type TrainerLauncher } from '../trainer/launcher';
import { isChildMessage } from '../trainer/protocol';

/** The bundled trainer (electron.vite.config.ts input `trainer`) sits next to main's bundle. */
const TRAINER_JS = fileURLToPath(new URL('./trainer.js', import.meta.url));

/**
 * Training in the app runs in an Electron utility process: a Node environment of its own that Electron
 * supervises, so tfjs's synchronous kernels never block the window's main process.
 */
export const utilityLauncher: TrainerLauncher = {
  launch(): TrainerHandle {
    const child = utilityProcess.fork(TRAINER_JS, [], { serviceName: 'FER Workbench trainer', stdio: 'inherit' });
    const exit = exitOnce();
    child.on('exit', (code) => exit.settle({ code, signal: null }));
    return {
      get pid() {
        return child.pid;
      },
      send(msg) {
        if (exit.exited === null) child.postMessage(msg);
      },
      onMessage(fn) {
        child.on('message', (m) => {
          if (isChildMessage(m)) fn(m);
        });
      },
      onExit: exit.onExit,
      kill() {
        if (exit.exited === null) child.kill();
      },
    };
  },
};
