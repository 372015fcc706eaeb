import { fieldIssues } from '../../src-shared/errors';

// Nothing here imports the contract client (it opens a transport when loaded): errors are read by their shape,
// the envelope's, which a ContractError has, so these run in plain Node too.

/** The message to show where an action failed: the contract's own words (a ContractError's message). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The fields an error names in its details (services/dispatch.ts for BAD_ARGS, fieldError in a service's own
 * checks), keyed as the form's inputs, so each message shows next to its input; `prefix` strips e.g. "config."
 * for the training form. Anything else stays in the note under the form.
 */
export function fieldErrors(err: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (!err || typeof err !== 'object') return out;
  for (const { field, message } of fieldIssues((err as { details?: unknown }).details)) {
    out[prefix && field.startsWith(prefix) ? field.slice(prefix.length) : field] ??= message;
  }
  return out;
}
