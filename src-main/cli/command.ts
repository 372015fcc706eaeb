import type { ParseArgsConfig } from 'node:util';
import type { InvokeArgs, InvokeName, InvokeResult } from '../../src-shared/contract';
import type { Workbench } from '../context';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CliContext {
  /** Opens the workbench home on first use, so `fer --version` needs no DB. */
  workbench(): Workbench;
  /** Calls a contract channel exactly as the UI would, throwing an AppError on an error envelope. */
  call<N extends InvokeName>(name: N, args: InvokeArgs<N>): Promise<InvokeResult<N>>;
  /**
   * The same, for arguments built from raw command-line values (a training config from flags): they are not
   * typed here on purpose, the channel's schema checks them at the dispatch and its BAD_ARGS names the field.
   */
  callUnchecked<N extends InvokeName>(name: N, args: unknown): Promise<InvokeResult<N>>;
  json: boolean;
  /** Human output (stdout); silent under --json so the last line stays one JSON object. */
  print(line: string): void;
  /** Progress and notes (stderr); never mixed into --json stdout. */
  note(line: string): void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: OptionSpec;
  allowPositionals?: boolean;
  /** Returns the object printed as the last stdout line under --json. */
  run(ctx: CliContext, positionals: string[], values: OptionValues): Promise<unknown>;
}

export function stringOpt(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function numberOpt(values: OptionValues, name: string): number | undefined {
  const v = stringOpt(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliUsageError(`--${name} must be a number, got "${v}".`);
  return n;
}

export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
