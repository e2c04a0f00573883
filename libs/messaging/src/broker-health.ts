/** Whether the bus can carry messages now; `reason` says what failed. */
export type BusHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface BrokerHealthOptions {
  /** Asks the cluster something cheap (admin describeCluster); rejects when it cannot. */
  readonly probe: () => Promise<void>;
  /** How long one probe may take: below the 2 s /ready gives each check. Default 1500 ms. */
  readonly timeoutMs?: number;
  /** How long a probe's answer is reused, so a /ready polled every second costs one request per few seconds. Default 3000 ms. */
  readonly cacheMs?: number;
  readonly clock?: () => number;
}

/**
 * The broker as readiness sees it: a cheap probe of the cluster, bounded in
 * time and cached for a few seconds, plus what consumers report (a crash, a
 * disconnect nobody asked for) until they are back in their group. A flag set
 * on the first connect would stay true for the whole of an outage.
 */
export class BrokerHealth {
  private readonly consumerFailures = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly clock: () => number;
  private last?: { readonly atMs: number; readonly health: BusHealth };
  private probing?: Promise<BusHealth>;

  constructor(private readonly options: BrokerHealthOptions) {
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.cacheMs = options.cacheMs ?? 3000;
    this.clock = options.clock ?? Date.now;
  }

  /** The first failure is kept until the group is joined again (a crash is followed by its own disconnect). */
  consumerFailed(groupId: string, reason: string): void {
    if (!this.consumerFailures.has(groupId)) this.consumerFailures.set(groupId, reason);
  }

  consumerRecovered(groupId: string): void {
    this.consumerFailures.delete(groupId);
  }

  /** What a consumer of `groupId` reported, while it is not back in its group. */
  consumerFailure(groupId: string): string | undefined {
    return this.consumerFailures.get(groupId);
  }

  async check(): Promise<BusHealth> {
    const probed = await this.probed();
    if (!probed.ok || this.consumerFailures.size === 0) return probed;
    return { ok: false, reason: [...this.consumerFailures].map(([groupId, reason]) => `consumer group ${groupId} ${reason}`).join('; ') };
  }

  private probed(): Promise<BusHealth> {
    if (this.last && this.clock() - this.last.atMs < this.cacheMs) return Promise.resolve(this.last.health);
    // Callers during a probe share it: a burst of /ready calls is one request to the broker.
    this.probing ??= this.probeOnce().then((health) => {
      this.last = { atMs: this.clock(), health };
      this.probing = undefined;
      return health;
    });
    return this.probing;
  }

  private async probeOnce(): Promise<BusHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([this.options.probe(), timeout]);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `broker unreachable: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      clearTimeout(timer);
    }
  }
}
