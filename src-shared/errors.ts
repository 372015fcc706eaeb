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
