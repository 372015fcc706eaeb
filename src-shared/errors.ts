/**
 * Error codes that cross process and transport boundaries. Electron keeps only `message` from a thrown
 * error, so everything a caller may branch on travels as a code inside an envelope instead.
 */
export const ERROR_CODES = [
  'UNKNOWN_CHANNEL',
  'BAD_ARGS',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'INVALID_INPUT',
  'INVALID_DATA',
  'HOME_MISSING',
  'HOME_UNWRITABLE',
  /** A folder or SQLite file that belongs to something else, refused as a workbench home. */
  'HOME_FOREIGN',
  'DB_FROM_FUTURE',
  'DB_CORRUPT',
  'BACKEND_UNAVAILABLE',
  'WEIGHTS_MISMATCH',
  'CHECKPOINT_CORRUPT',
  'TRAINING_DIVERGED',
  'IO_ERROR',
  'CONFLICT',
  'UNAUTHORIZED',
  'CANCELLED',
  'UNSUPPORTED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** An error meant for the user: its code and message are shown as they are. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

/** One argument an error is about: its path in the channel's arguments ("config.batch", "axes.0.values") and what is wrong. */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * An error's details when it is about arguments: BAD_ARGS from a channel's schema (every offending field), or a
 * service's own check of one field (INVALID_INPUT, NOT_FOUND, WEIGHTS_MISMATCH…). Forms show each message by
 * the input of its field, from here rather than by reading the message text.
 */
export interface FieldDetails {
  fields: FieldIssue[];
}

export function fieldDetails(field: string, message: string): FieldDetails {
  return { fields: [{ field, message }] };
}

/** An error about one argument: the message leads with its path (for the CLI and logs), details name it (for forms). */
export function fieldError(code: ErrorCode, field: string, text: string): AppError {
  return new AppError(code, `${field}: ${text}`, fieldDetails(field, text));
}

/** The fields an error's details name ([] when they name none), however the details arrived (IPC, WebSocket). */
export function fieldIssues(details: unknown): FieldIssue[] {
  const fields = (details as Partial<FieldDetails> | null | undefined)?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.filter((f): f is FieldIssue => typeof f?.field === 'string' && typeof f?.message === 'string');
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof AppError) {
    return err.details === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, details: err.details };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

export function fail<T = never>(code: ErrorCode, message: string, details?: unknown): Envelope<T> {
  return details === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message, details } };
}
