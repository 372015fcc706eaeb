import { vi } from 'vitest';
import { main } from '../../src-main/cli/fer';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI's own main() in this process, with stdout/stderr captured: the same parsing, dispatch and output
 * as bin/fer.mjs (whose process start test/integration/cli/fer.test.ts covers) without a tsx start per command.
 */
export function inProcessFer(home: string): (...args: string[]) => Promise<CliResult> {
  return async (...args) => {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(`${a.join(' ')}\n`));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => out.push(String(s)) > 0);
    const ewrite = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => err.push(String(s)) > 0);
    try {
      const code = await main([...args, '--home', home]);
      return { code, stdout: out.join(''), stderr: err.join('') };
    } finally {
      log.mockRestore();
      write.mockRestore();
      ewrite.mockRestore();
    }
  };
}

/** With --json, the last stdout line is one JSON object (untyped: each test reads the fields its command returns). */
export const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);
