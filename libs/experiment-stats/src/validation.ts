/** Input checks that fail loudly: a wrong type is a TypeError, a number out of its range a RangeError, each naming the field. */

export function requireFiniteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${field} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

export function requireNonNegative(value: unknown, field: string): number {
  const n = requireFiniteNumber(value, field);
  if (n < 0) throw new RangeError(`${field} must not be negative, got ${n}`);
  return n;
}

export function requireCount(value: unknown, field: string): number {
  const n = requireNonNegative(value, field);
  if (!Number.isInteger(n)) throw new RangeError(`${field} must be a whole number of units, got ${n}`);
  return n;
}

/** A probability strictly between 0 and 1 (a significance level, a margin). */
export function requireOpenUnitInterval(value: unknown, field: string): number {
  const n = requireFiniteNumber(value, field);
  if (n <= 0 || n >= 1) throw new RangeError(`${field} must lie strictly between 0 and 1, got ${n}`);
  return n;
}

export function requirePositive(value: unknown, field: string): number {
  const n = requireFiniteNumber(value, field);
  if (n <= 0) throw new RangeError(`${field} must be positive, got ${n}`);
  return n;
}

export function requireNonEmptyString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${field} must be a non-empty string, got ${describe(value)}`);
  return value;
}

export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${field} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  return String(value);
}
