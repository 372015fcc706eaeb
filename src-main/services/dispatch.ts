import { invokeChannels, isInvokeName, type InvokeName, type InvokeResult } from '../../src-shared/contract';
import { AppError, toErrorInfo, type Envelope, type FieldDetails } from '../../src-shared/errors';
import type { Workbench } from '../context';
import type { AllHandlers } from './types';

/**
 * The one entry point every transport calls: refuses channels outside the contract, validates the
 * arguments with the channel's schema, and turns any throw into an error envelope.
 */
export async function dispatch(handlers: AllHandlers, wb: Workbench, name: unknown, rawArgs: unknown): Promise<Envelope<unknown>> {
  if (!isInvokeName(name)) {
    return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `Unknown channel ${JSON.stringify(String(name)).slice(0, 120)}: it is not in the contract.` } };
  }
  const parsed = invokeChannels[name].args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(args)', message: i.message }));
    const details: FieldDetails = { fields };
    return { ok: false, error: { code: 'BAD_ARGS', message: `Bad arguments for ${name}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, details } };
  }
  try {
    const handler = handlers[name] as (args: unknown, wb: Workbench) => Promise<unknown> | unknown;
    const value = await handler(parsed.data, wb);
    return { ok: true, value };
  } catch (err) {
    const info = toErrorInfo(err);
    if (!(err instanceof AppError)) console.error(`handler ${name} failed:`, err);
    return { ok: false, error: info };
  }
}

/** For in-process callers (CLI, tests): the value, or a thrown AppError carrying the envelope's code. */
export async function call<N extends InvokeName>(handlers: AllHandlers, wb: Workbench, name: N, args: unknown): Promise<InvokeResult<N>> {
  const env = await dispatch(handlers, wb, name, args);
  if (!env.ok) throw new AppError(env.error.code, env.error.message, env.error.details);
  return env.value as InvokeResult<N>;
}
