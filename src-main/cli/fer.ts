import { parseArgs } from 'node:util';
import { AppError } from '../../src-shared/errors';
import { openWorkbench, type Workbench } from '../context';
import { call } from '../services/dispatch';
import { handlers } from '../services/index';
import { appVersion } from '../services/system';
import { CliUsageError, type CliContext, type Command } from './command';
import { COMMANDS } from './commands/index';

const COMMON = {
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `fer ${appVersion()} — FER Workbench command line`,
    '',
    'Usage: fer <command> [options] [--home DIR] [--json]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --home DIR (or FER_HOME) and --json (the last stdout line is one JSON object).',
    'fer <command> --help shows its options.',
  ].join('\n');
}

/**
 * `fer runs | head -1`: once the reader has what it wants it closes the pipe, and the next write fails
 * with EPIPE, emitted on the stream after console.log has returned, so it was an uncaught error with a
 * stack. A closed output is how a pipeline says "enough": stop at once with status 0, as a C program
 * killed by SIGPIPE would (Node ignores SIGPIPE). For the bin entry only; main() is also run in-process.
 */
export function exitQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    const tf = await import('@tensorflow/tfjs');
    const version = { fer: appVersion(), node: process.versions.node, tfjs: tf.version.tfjs };
    console.log(rest.includes('--json') ? JSON.stringify(version) : `fer ${version.fer} (node ${version.node}, tfjs ${version.tfjs})`);
    return 0;
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === name);
  const jsonWanted = rest.includes('--json');
  if (!command) return report(jsonWanted, new CliUsageError(`Unknown command "${name}". Run fer --help for the list.`));

  let wb: Workbench | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...COMMON, ...(command.options ?? {}) },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    if (values.help) {
      console.log(`${command.usage}\n\n${command.summary}`);
      return 0;
    }
    const home = typeof values.home === 'string' ? values.home : undefined;
    const json = values.json === true;
    const ctx: CliContext = {
      json,
      workbench() {
        wb ??= openWorkbench({ flag: home });
        return wb;
      },
      call(channel, args) {
        return call(handlers, ctx.workbench(), channel, args);
      },
      callUnchecked(channel, args) {
        return call(handlers, ctx.workbench(), channel, args);
      },
      print(line) {
        if (!json) console.log(line);
      },
      note(line) {
        process.stderr.write(`${line}\n`);
      },
    };
    const result = await command.run(ctx, positionals, values);
    if (json) console.log(JSON.stringify(result ?? null));
    return 0;
  } catch (err) {
    return report(jsonWanted, err);
  } finally {
    await wb?.close();
  }
}

function report(json: boolean, err: unknown): number {
  const code = err instanceof AppError ? err.code : err instanceof CliUsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS') ? 'BAD_ARGS' : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'INTERNAL' && !(err instanceof AppError)) console.error(err);
  process.stderr.write(`error [${code}]: ${message}\n`);
  if (json) console.log(JSON.stringify({ ok: false, error: { code, message } }));
  return code === 'BAD_ARGS' ? 2 : 1;
}
