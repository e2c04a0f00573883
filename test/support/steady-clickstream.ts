import { Kafka, Producer } from 'kafkajs';
import { ListSpec, servedRecord } from '../feedback/feedback-fixtures';

/** One produced clickstream event: every user has a single session; a click carries the rec_id of the list served just before it. */
export interface SteadyEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly itemId: string;
  readonly action: 'view' | 'click';
  readonly tsMs: number;
  readonly recId?: string;
}

export interface SteadyClickstreamOptions {
  /** Events per second, sent in batches every 100 ms (acks=all). */
  readonly rate: number;
  readonly users: number;
  readonly items: number;
  /** Prefix of every id, unique per run. */
  readonly prefix: string;
  /** Where the test plays the gateway: one served list per batch, and the batch's first event a click on it. */
  readonly servedTopic?: string;
  /** model_version of the served lists. */
  readonly model?: string;
}

/**
 * A steady raw clickstream (the freshness bench's kind of load) that records what was sent and
 * what the broker acknowledged: after any fault the tables must hold the acknowledged events
 * exactly once. With `servedTopic` it also serves lists, as the gateway does, and clicks on them.
 */
export class SteadyClickstream {
  readonly sent = new Map<string, SteadyEvent>();
  readonly acked = new Set<string>();
  readonly sentLists = new Map<string, ListSpec>();
  readonly ackedLists = new Set<string>();
  /** Sends the broker refused or timed out, with their error names (what a producer saw). */
  readonly sendErrors = new Map<string, number>();
  private producer?: Producer;
  private running = false;
  private loop?: Promise<void>;
  private n = 0;
  private lists = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly options: SteadyClickstreamOptions,
  ) {}

  async start(): Promise<void> {
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 300 } });
    await this.producer.connect();
    this.running = true;
    this.loop = this.produce();
  }

  private async send(topic: string, messages: Array<{ key: string; value: Buffer | string }>): Promise<boolean> {
    try {
      await this.producer!.send({ topic, acks: -1, timeout: 2000, messages });
      return true;
    } catch (error) {
      // Not acknowledged: may or may not be stored. Acknowledged ones must be.
      const name = (error as Error).name || 'Error';
      this.sendErrors.set(name, (this.sendErrors.get(name) ?? 0) + 1);
      return false;
    }
  }

  private async produce(): Promise<void> {
    const { rate, users, items, prefix, servedTopic, model = 'steady-model' } = this.options;
    const item = (k: number) => `${prefix}-sku${((k % items) + items) % items}`;
    while (this.running) {
      const started = Date.now();
      const now = Date.now();
      const ids = Array.from({ length: Math.max(1, Math.round(rate / 10)) }, () => this.n++);
      // Item steps by a prime other than the user count, so every user meets many items and forms many pairs.
      const first = ids[0];
      let list: ListSpec | undefined;
      if (servedTopic) {
        const k = this.lists++;
        list = { recId: `${prefix}-rec-${k}`, userId: `${prefix}-u${first % users}`, surface: 'recommend', model, arm: k % 2 ? 'treatment' : 'control', items: [0, 1, 2, 3, 4].map((d) => item(first * 7 + d * 11)), tsMs: now };
        this.sentLists.set(list.recId, list);
        if (await this.send(servedTopic, [servedRecord(list)])) this.ackedLists.add(list.recId);
        else list = undefined;
      }
      const batch = ids.map((i): SteadyEvent => {
        const clicked = list && i === first;
        return { eventId: `${prefix}-${i}`, userId: `${prefix}-u${i % users}`, itemId: item(i * 7), action: clicked ? 'click' : 'view', tsMs: now + 1, recId: clicked ? list!.recId : undefined };
      });
      for (const e of batch) this.sent.set(e.eventId, e);
      const value = (e: SteadyEvent) => JSON.stringify({ event_id: e.eventId, user_id: e.userId, session_id: `${e.userId}-s`, item_id: e.itemId, action: e.action, ts_ms: e.tsMs, ...(e.recId ? { rec_id: e.recId } : {}) });
      if (await this.send(this.topic, batch.map((e) => ({ key: e.userId, value: value(e) })))) for (const e of batch) this.acked.add(e.eventId);
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/** What a set of stored events implies for the feature tables (one session per user, no purchases). */
export function impliedFeatures(events: Iterable<SteadyEvent>): { sequenceLengths: Record<string, number>; popularity: Record<string, number>; pairs: Record<string, number> } {
  const sequenceLengths: Record<string, number> = {};
  const popularity: Record<string, number> = {};
  const itemsOfUser = new Map<string, Set<string>>();
  for (const e of events) {
    sequenceLengths[e.userId] = (sequenceLengths[e.userId] ?? 0) + 1;
    popularity[e.itemId] = (popularity[e.itemId] ?? 0) + 1;
    itemsOfUser.set(e.userId, (itemsOfUser.get(e.userId) ?? new Set()).add(e.itemId));
  }
  // Each distinct ordered pair of items in one session counts once, whatever the order of arrival.
  const pairs: Record<string, number> = {};
  for (const seen of itemsOfUser.values()) {
    for (const a of seen) for (const b of seen) if (a !== b) pairs[`${a}>${b}`] = (pairs[`${a}>${b}`] ?? 0) + 1;
  }
  return { sequenceLengths, popularity, pairs };
}
