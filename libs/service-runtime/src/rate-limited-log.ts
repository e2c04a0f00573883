export interface RateLimitedLogOptions {
  /** Lines written per window; the rest are counted. Default 10. */
  readonly maxLines?: number;
  /** Default 10 s. */
  readonly windowMs?: number;
}

/**
 * Writes at most `maxLines` lines per window and then one "suppressed K
 * similar" line when the window ends: what clients can trigger at will (bad
 * requests) must not be able to flood the log.
 */
export class RateLimitedLog {
  private readonly maxLines: number;
  private readonly windowMs: number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private suppressed = 0;
  private summary?: NodeJS.Timeout;

  constructor(
    private readonly write: (line: string) => void,
    options: RateLimitedLogOptions = {},
  ) {
    this.maxLines = options.maxLines ?? 10;
    this.windowMs = options.windowMs ?? 10_000;
  }

  log(line: string): void {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) this.startWindow(now);
    if (this.written < this.maxLines) {
      this.written += 1;
      this.write(line);
      return;
    }
    this.suppressed += 1;
    // The summary comes when the window ends, also if nothing follows; unref: it never keeps the process alive.
    this.summary ??= setTimeout(() => this.startWindow(Date.now()), this.windowStart + this.windowMs - now).unref();
  }

  private startWindow(now: number): void {
    clearTimeout(this.summary);
    this.summary = undefined;
    if (this.suppressed > 0) this.write(`suppressed ${this.suppressed} similar line${this.suppressed === 1 ? '' : 's'} in the last ${this.windowMs / 1000} s`);
    this.windowStart = now;
    this.written = 0;
    this.suppressed = 0;
  }
}
