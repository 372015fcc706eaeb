import { ContractError } from './contract-client';

/** The message to show where an action failed: the contract's own words, prefixed by its code. */
export function errorText(err: unknown): string {
  if (err instanceof ContractError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * BAD_ARGS details are "path: message" strings (see services/dispatch.ts). Maps them to the form field
 * they name, so a message shows next to its input; `prefix` strips e.g. "config." for the training form.
 */
export function fieldErrors(err: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ContractError)) return out;
  // Service-side checks name the field the same way: "config.inputSize: resnet50 needs …".
  const named = /^([\w.]+): (.+)$/s.exec(err.message);
  if (err.code !== 'BAD_ARGS' && named && prefix && named[1]!.startsWith(prefix)) {
    out[named[1]!.slice(prefix.length)] = named[2]!;
    return out;
  }
  if (err.code !== 'BAD_ARGS' || !Array.isArray(err.details)) return out;
  for (const d of err.details) {
    if (typeof d !== 'string') continue;
    const at = d.indexOf(': ');
    if (at < 0) continue;
    let path = d.slice(0, at);
    if (prefix && path.startsWith(prefix)) path = path.slice(prefix.length);
    out[path] ??= d.slice(at + 2);
  }
  return out;
}
