import { fileURLToPath } from 'node:url';
import { handlers } from '../../services/index';
import { startBridge } from '../../transports/ws-bridge';
import { numberOpt, type Command } from '../command';

export const RENDERER_DIR = fileURLToPath(new URL('../../../dist/renderer', import.meta.url));

export const webCommand: Command = {
  name: 'web',
  summary: 'Serve the workbench to a browser on 127.0.0.1 (the same app and contract as Electron)',
  usage: 'fer web [--port N] [--home DIR]',
  options: { port: { type: 'string' } },
  async run(ctx, _positionals, values) {
    const wb = ctx.workbench();
    const bridge = await startBridge({ wb, handlers, staticDir: RENDERER_DIR, port: numberOpt(values, 'port') ?? 0 });
    // The URL goes to stdout even under --json: it is what the user (or a test) needs to open.
    console.log(`FER Workbench is served at ${bridge.url}`);
    console.log(JSON.stringify({ url: bridge.url, port: bridge.port }));
    await new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await bridge.close();
    return { url: bridge.url, stopped: true };
  },
};
