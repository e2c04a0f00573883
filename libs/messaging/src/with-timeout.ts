/** A bus operation that did not settle in time; the batch that waited on it fails and is redelivered. */
export class BusTimeoutError extends Error {
  constructor(readonly operation: string, readonly timeoutMs: number) {
    super(`${operation} did not complete within ${timeoutMs} ms`);
    this.name = 'BusTimeoutError';
  }
}

/**
 * Rejects with BusTimeoutError when `work` has not settled after `timeoutMs`
 * (0 = no limit). The work itself is not cancelled: kafkajs calls cannot be;
 * the caller must treat the resource behind it as suspect.
 */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  if (timeoutMs <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BusTimeoutError(operation, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
