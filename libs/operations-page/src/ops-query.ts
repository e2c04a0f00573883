import { BadRequestException } from '@nestjs/common';

type Query = Readonly<Record<string, unknown>>;

export const DEFAULT_WINDOW_HOURS = 24;
export const MAX_WINDOW_HOURS = 720;

function one(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`${name} must be given once, as a plain value`);
  return value;
}

/** hours=1..720 (24): how far back the metric buckets go. */
export function windowHours(query: Query): number {
  const raw = one(query, 'hours');
  if (raw === undefined) return DEFAULT_WINDOW_HOURS;
  const hours = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(hours >= 1 && hours <= MAX_WINDOW_HOURS)) throw new BadRequestException(`hours must be a whole number from 1 to ${MAX_WINDOW_HOURS}, got ${JSON.stringify(raw.slice(0, 32))}`);
  return hours;
}

/** alpha in (0, 1): the error rate of the experiments' intervals; 0 (absent) means the admin's default, 0.05. */
export function alphaOf(query: Query): number {
  const raw = one(query, 'alpha');
  if (raw === undefined) return 0;
  const alpha = /^0?\.\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(alpha > 0 && alpha < 1)) throw new BadRequestException(`alpha must be a number between 0 and 1 like 0.05, got ${JSON.stringify(raw.slice(0, 32))}`);
  return alpha;
}
