/**
 * A stand-in for `fer train` or `fer eval`: launches busy.ts through child-launcher.ts, asks it to start, prints
 * its pid once it is busy, and never exits by itself (the test SIGKILLs it).
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { tsxLoader } from '../../../src-main/child-entry';
import { launchChild } from '../../../src-main/child-launcher';

const child = launchChild<{ type: 'go' }, { type: 'busy'; pid: number }>({
  label: 'the busy process',
  serviceName: 'busy',
  entry: { file: fileURLToPath(new URL('./busy.ts', import.meta.url)), execArgv: ['--import', tsxLoader()] },
  messages: z.object({ type: z.literal('busy'), pid: z.number() }),
});
child.onMessage((m) => console.log(`child ${m.pid}`));
child.onExit((exit) => console.log(`child exited: ${exit.error.message}`));
child.send({ type: 'go' });
setInterval(() => {}, 1000);
