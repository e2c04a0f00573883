export interface ReadinessCheck {
  readonly name: string;
  /** Resolves true when the dependency can serve; may throw. */
  check(): Promise<boolean> | boolean;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, { ok: boolean; error?: string }>;
}

/** Collects the checks a service must pass before it takes traffic. */
export class ReadinessProbe {
  private readonly checks: ReadinessCheck[] = [];
  private shuttingDown = false;

  register(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  /** Once shutting down, the service reports not-ready so traffic drains away. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async report(timeoutMs = 2000): Promise<ReadinessReport> {
    const checks: ReadinessReport['checks'] = {};
    if (this.shuttingDown) checks['shutdown'] = { ok: false, error: 'shutting down' };
    await Promise.all(
      this.checks.map(async (c) => {
        try {
          const ok = await Promise.race([
            Promise.resolve(c.check()),
            new Promise<boolean>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
          ]);
          checks[c.name] = { ok };
        } catch (error) {
          checks[c.name] = { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}
