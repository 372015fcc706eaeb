import type { z } from 'zod';

/**
 * What a number field of a contract schema accepts, read from the schema itself, so a form can check and show
 * the same limits without writing them down a second time (the schema stays the one place they are stated).
 */
export interface NumberBounds {
  /** Whole numbers only (`.int()`). */
  int: boolean;
  /** Lower bound and whether it is allowed; null when there is none. For whole numbers an exclusive bound is made inclusive (`> 0` is `≥ 1`). */
  min: number | null;
  minInclusive: boolean;
  max: number | null;
  maxInclusive: boolean;
}

/** The parts of zod 4's schema definitions read here (`schema._zod.def`, zod's documented introspection). */
interface Def {
  type: string;
  innerType?: z.ZodType;
  checks?: { _zod: { def: { check: string; value?: unknown; inclusive?: boolean; format?: string } } }[];
}
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Under `.default()`, `.nullable()`, `.optional()`: the schema that checks the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let def = defOf(s); def.innerType; def = defOf(s)) s = def.innerType;
  return s;
}

/** The bounds of a number schema (wrapped in defaults, nullable or optional as may be). */
export function numberBounds(schema: z.ZodType): NumberBounds {
  const def = defOf(unwrap(schema));
  if (def.type !== 'number') throw new Error(`numberBounds: a ${def.type} schema is no number`);
  const b: NumberBounds = { int: false, min: null, minInclusive: true, max: null, maxInclusive: true };
  for (const c of def.checks ?? []) {
    const { check, value, inclusive, format } = c._zod.def;
    if (check === 'number_format' && (format === 'safeint' || format === 'int32' || format === 'uint32')) b.int = true;
    // Several bounds on one side: the tighter one wins, as in the schema.
    if (check === 'greater_than' && typeof value === 'number' && (b.min === null || value >= b.min)) {
      b.min = value;
      b.minInclusive = inclusive !== false;
    }
    if (check === 'less_than' && typeof value === 'number' && (b.max === null || value <= b.max)) {
      b.max = value;
      b.maxInclusive = inclusive !== false;
    }
  }
  if (b.int) {
    if (b.min !== null) (b.min = b.minInclusive ? Math.ceil(b.min) : Math.floor(b.min) + 1), (b.minInclusive = true);
    if (b.max !== null) (b.max = b.maxInclusive ? Math.floor(b.max) : Math.ceil(b.max) - 1), (b.maxInclusive = true);
    // zod's .int() is a safe integer: its own ±2^53 bounds say nothing to a user.
    if (b.min !== null && b.min <= Number.MIN_SAFE_INTEGER) b.min = null;
    if (b.max !== null && b.max >= Number.MAX_SAFE_INTEGER) b.max = null;
  }
  return b;
}

/** Whether `value` is within the bounds (a finite number, whole where required). */
export function withinBounds(value: unknown, b: NumberBounds): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (b.int && !Number.isInteger(value)) return false;
  if (b.min !== null && (b.minInclusive ? value < b.min : value <= b.min)) return false;
  if (b.max !== null && (b.maxInclusive ? value > b.max : value >= b.max)) return false;
  return true;
}

/** The bounds in words, to follow "must be": "a whole number from 1 to 4096", "greater than 0 and at most 10". */
export function boundsText(b: NumberBounds): string {
  if (b.int) {
    if (b.min !== null && b.max !== null) return `a whole number from ${b.min} to ${b.max}`;
    if (b.min !== null) return `a whole number ≥ ${b.min}`;
    if (b.max !== null) return `a whole number ≤ ${b.max}`;
    return 'a whole number';
  }
  if (b.min !== null && b.max !== null && b.minInclusive && !b.maxInclusive) return `in [${b.min}, ${b.max})`;
  const parts = [
    b.min === null ? null : b.minInclusive ? `≥ ${b.min}` : `greater than ${b.min}`,
    b.max === null ? null : b.maxInclusive ? `at most ${b.max}` : `less than ${b.max}`,
  ].filter((p) => p !== null);
  return parts.length ? parts.join(' and ') : 'a number';
}

/** The value a schema gives a missing field: its `.default()` (or what it accepts for undefined). */
export function defaultOf<S extends z.ZodType>(schema: S): z.output<S> {
  return schema.parse(undefined);
}
