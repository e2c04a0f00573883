/** How the page writes numbers, shared with client/ and kept pure so the spec pins it. */

/** 0.0345 as "3.45%" (two decimals under 10 %), null as "–". */
export function percent(value: number | null): string {
  if (value === null) return '–';
  const p = value * 100;
  return `${p === 0 ? '0' : Math.abs(p) < 10 ? p.toFixed(2) : p.toFixed(1)}%`;
}

/** Integer minor units as a decimal string ("1234.50"): no float arithmetic on money. */
export function money(minor: number | null): string {
  if (minor === null) return '–';
  const whole = Math.trunc(Math.abs(minor));
  const cents = String(whole % 100).padStart(2, '0');
  return `${minor < 0 ? '-' : ''}${Math.floor(whole / 100)}.${cents}`;
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** A ratio like a mean position: two decimals, null as "–". */
export function decimal(value: number | null, digits = 2): string {
  return value === null ? '–' : value.toFixed(digits);
}

/** Epoch ms as "2026-03-01 14:05" in UTC (the buckets are aligned to the epoch). */
export function utcMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Epoch ms as "14:05" UTC, for axis labels. */
export function utcClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}
