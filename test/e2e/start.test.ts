import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/workbench';
import { REPO } from './harness';

function electronInstalled(): boolean {
  try {
    return typeof createRequire(import.meta.url)('electron') === 'string';
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it.skipIf(electronInstalled())('without Electron says so in one line, serves the workbench and prints its URL', async () => {
    const home = tempDir();
    const proc = spawn(process.execPath, [join(REPO, 'bin/start.mjs'), '--home', home.dir, '--port', '0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in 90 s: ${out}`)), 90_000);
        proc.stdout!.on('data', (d) => {
          out += String(d);
          const m = /served at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        proc.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${out}`)));
      });
      expect(out.split('\n')[0]).toMatch(/Electron's binary is not installed/);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/FER Workbench/);
    } finally {
      // The start script forwards signals to the bridge process it started.
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      home.cleanup();
    }
  });
});
