import { MAX_ID_LENGTH, MAX_STORED_TEXT_BYTES } from './validation-limits';
import { reject, Rejection } from './rejection';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Required identifier: non-empty, bounded, no control characters. */
export function checkId(field: string, value: string): Rejection | undefined {
  if (value.trim() === '') return reject.missing(field);
  return checkText(field, value, MAX_ID_LENGTH, true);
}

export function checkText(field: string, value: string, maxLength: number, forbidControl = false): Rejection | undefined {
  if (value.length > maxLength) return reject.range(`${field} is ${value.length} characters, more than ${maxLength}`);
  if (forbidControl && CONTROL_CHARS.test(value)) return reject.schema(`${field} contains control characters`);
  return undefined;
}

export function checkNumber(field: string, value: number | undefined, min: number, max: number): Rejection | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < min || value > max) return reject.range(`${field}=${value} is outside [${min}, ${max}]`);
  return undefined;
}

export function checkCurrency(value: string): Rejection | undefined {
  return value === '' || /^[A-Z]{3}$/.test(value) ? undefined : reject.range(`currency "${value}" is not an ISO 4217 code`);
}

export function checkTimestamp(tsMs: bigint, nowMs: number, maxAgeMs: number, maxFutureSkewMs: number): Rejection | undefined {
  if (tsMs === 0n) return reject.missing('ts_ms');
  const ts = Number(tsMs);
  if (ts < nowMs - maxAgeMs) return reject.timestamp(`ts_ms=${tsMs} is more than ${Math.round(maxAgeMs / 3_600_000)} h in the past`);
  if (ts > nowMs + maxFutureSkewMs) return reject.timestamp(`ts_ms=${tsMs} is more than ${Math.round(maxFutureSkewMs / 1000)} s in the future`);
  return undefined;
}

/** First failing check, in the order given. */
export function firstFailure(...checks: Array<() => Rejection | undefined>): Rejection | undefined {
  for (const check of checks) {
    const failure = check();
    if (failure) return failure;
  }
  return undefined;
}

/** A value stored as JSON text (a MySQL TEXT column) must fit it. */
export function checkStoredJson(field: string, json: string): Rejection | undefined {
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes > MAX_STORED_TEXT_BYTES ? reject.range(`${field} is ${bytes} bytes as stored JSON, more than ${MAX_STORED_TEXT_BYTES}`) : undefined;
}
