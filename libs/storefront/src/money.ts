/** Integer hundredths of a currency unit from the catalog's or the wire's double (19.9 -> 1990). */
export function toMinor(amount: number): number {
  return Math.round(amount * 100);
}

/** "19.90" from 1990: what a shopper sees, exact. */
export function formatMinor(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
