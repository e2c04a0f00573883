import { status } from '@grpc/grpc-js';
import { RecommendationStack } from './recommendation-stack';

export interface CallOutcome {
  readonly at: number;
  readonly method: 'recommend' | 'bundle';
  readonly code: number;
}

/** What a storefront may see while a serving process is down: never INTERNAL, never a hang. */
export const FAULT_CODES: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

/** A storefront's steady calls to the gateway: recommendations and bundles alternately, one every `gapMs`; every outcome kept with its gRPC status. */
export class StorefrontCalls {
  readonly outcomes: CallOutcome[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly client: RecommendationStack,
    private readonly anchorItemId: string,
    private readonly gapMs = 50,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        const at = Date.now();
        const method = i % 2 === 0 ? 'recommend' : 'bundle';
        const call = method === 'recommend' ? this.client.call('recommend', { userId: `u-${i % 7}`, k: 5 }) : this.client.bundle({ userId: `u-${i % 7}`, anchorItemIds: [this.anchorItemId], size: 3, count: 2 });
        const code = await call.then(() => status.OK, (error: { code?: number }) => error.code ?? -1);
        this.outcomes.push({ at, method, code });
        await new Promise((r) => setTimeout(r, this.gapMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  since(t: number): CallOutcome[] {
    return this.outcomes.filter((o) => o.at >= t);
  }

  /** At least `n` successful calls of each kind since `t`. */
  succeedingSince(t: number, n = 3): boolean {
    const ok = this.since(t).filter((o) => o.code === status.OK);
    return ok.filter((o) => o.method === 'recommend').length >= n && ok.filter((o) => o.method === 'bundle').length >= n;
  }

  /** Status names and how often each came back since `t`, e.g. { OK: 40, UNAVAILABLE: 12 }. */
  codesSince(t: number, until = Infinity): Record<string, number> {
    const out: Record<string, number> = {};
    for (const o of this.outcomes) if (o.at >= t && o.at <= until) out[status[o.code] ?? String(o.code)] = (out[status[o.code] ?? String(o.code)] ?? 0) + 1;
    return out;
  }
}
