/**
 * Progress of a bench on stderr (stdout keeps the report JSON the benches print).
 *
 * `phase(name)` ends the phase before it and starts the next; `done()` ends the last. Every phase
 * ends with one line, its wall time and the bench's so far: `[bench-ingest] produce: 12.3 s (total 20.1 s)`.
 * On a terminal (and not under CI=true) a phase also says when it starts, and `step(done, total)`
 * keeps one updating line with the rate so far and the ETA; in logs and CI nothing but the phase lines.
 */
export class BenchProgress {
  private readonly interactive: boolean;
  private readonly began: number;
  private current?: { name: string; began: number };
  private lastStep = 0;
  private stepShown = false;

  constructor(
    private readonly bench: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
    private readonly clock: () => number = Date.now,
  ) {
    this.interactive = Boolean(stream.isTTY) && !/^(1|true|yes)$/i.test(env.CI ?? '');
    this.began = clock();
  }

  /** Ends the running phase (one line) and starts `name`. */
  phase(name: string): void {
    this.end();
    this.current = { name, began: this.clock() };
    if (this.interactive) this.write(`[${this.bench}] ${name} ...\n`);
  }

  /** On a terminal: `done` of `total` units of the running phase, the rate so far and the ETA (at most 4 updates a second). */
  step(done: number, total: number, unit = ''): void {
    if (!this.interactive || !this.current) return;
    const now = this.clock();
    if (now - this.lastStep < 250 && done < total) return;
    this.lastStep = now;
    const elapsed = (now - this.current.began) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : Number.NaN;
    this.write(`\r\x1b[2K[${this.bench}] ${this.current.name}: ${done}/${total}${unit ? ` ${unit}` : ''} (${formatSeconds(elapsed)}, ETA ${Number.isFinite(eta) ? formatSeconds(eta) : '?'})`);
    this.stepShown = true;
  }

  /** Ends the last phase. */
  done(): void {
    this.end();
  }

  private end(): void {
    if (!this.current) return;
    const now = this.clock();
    if (this.stepShown) this.write('\r\x1b[2K');
    this.stepShown = false;
    this.write(`[${this.bench}] ${this.current.name}: ${formatSeconds((now - this.current.began) / 1000)} (total ${formatSeconds((now - this.began) / 1000)})\n`);
    this.current = undefined;
  }

  private write(text: string): void {
    this.stream.write(text);
  }
}

/** 0.4 s, 12.3 s, 4 min 05 s. */
export function formatSeconds(s: number): string {
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
}
