import { Logger } from '@nestjs/common';
import { fromBinary } from '@bufbuild/protobuf';
import { Action, TopicNames, UserErasureCommandSchema } from '@recmesh/contracts';
import { MessageBatch } from '@recmesh/messaging';
import type { Pseudonymize } from '@recmesh/service-config';
import {
  AttributedActionRow,
  BucketIncrement,
  ExperimentStore,
  FeedbackStore,
  PendingActionRow,
  ServedListMeta,
  ServedListRecord,
  UnitOutcome,
} from '@recmesh/persistence';
import { EntityManager } from 'typeorm';
import { ActionRules, AttributableAction, AttributionWindow, bucketStart, decide, isAttributable, onceKey } from './attribution-rules';
import { ActionOutcome, AttributionObservation, FeedbackMetrics } from './feedback-metrics';
import { ActionRecord, isInvalid, parseAction, parseServedList } from './feedback-records';
import { isTail, PopularityHead } from './popularity-head';
import { ServedListCache } from './served-list-cache';

export interface FeedbackPipelineOptions {
  readonly store: FeedbackStore;
  readonly metrics: FeedbackMetrics;
  readonly topics: TopicNames;
  readonly window: AttributionWindow;
  /** Width of a metric bucket. */
  readonly bucketMs: number;
  readonly cache: ServedListCache;
  readonly head: PopularityHead;
  /** Revenue only from purchases in this currency (or with none); empty = every price counts. */
  readonly currency: string;
  /** Per-user outcomes of A/B experiments (what their statistics read); absent: not kept. */
  readonly experiments?: ExperimentStore;
  /** RECMESH_PSEUDONYM_KEY's pseudonyms: erasure commands a shop publishes name its own ids. */
  readonly pseudonymize?: Pseudonymize;
  readonly clock?: () => number;
}

/** What one pass of the attribution rules decided for a set of actions. */
interface Resolution {
  readonly attributed: AttributedActionRow[];
  readonly increments: BucketIncrement[];
  /** No list yet: they wait in the pending table. */
  readonly waiting: PendingActionRow[];
  /** Event ids with a final outcome (attributed or not). */
  readonly done: string[];
  readonly outcomes: ActionOutcome[];
  readonly observations: AttributionObservation[];
  /** What the attributed actions add to the users of experiments. */
  readonly units: UnitOutcome[];
}

/** Pending actions one sweep transaction takes at most. */
const SWEEP_LIMIT = 1000;
/**
 * A sweep re-reads pending actions received this long before the previous
 * sweep began: one inserted by a transaction still open then (racing the
 * transaction that stored its list) is seen once both committed.
 */
const SWEEP_OVERLAP_MS = 5 * 60_000;

/**
 * Joins what shoppers did (recmesh.clickstream.normalized.v1) to the lists
 * the gateway served (recmesh.recommendations.served.v1) and keeps the online
 * metric buckets. Every batch is one transaction that also claims what it
 * applies (event ids; the rec_ids of served lists), so redelivery and restarts
 * change nothing twice. The two topics are not ordered relative to each other:
 * an action whose list is not there yet waits in the pending table until the
 * list arrives (attributed then) or the window passes (dropped).
 */
export class FeedbackPipeline {
  private readonly logger = new Logger(FeedbackPipeline.name);
  private readonly clock: () => number;
  /** This instance's transactions run one at a time (batches and sweeps alike). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Pending actions received before this were matched by earlier sweeps; undefined = sweep everything. */
  private sweptSinceMs: number | undefined;

  constructor(private readonly options: FeedbackPipelineOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async handle(batch: MessageBatch): Promise<void> {
    const { topics, metrics } = this.options;
    if (batch.topic === topics.recommendationsServed) {
      const end = metrics.batchSeconds.startTimer({ topic: 'served' });
      await this.handleServed(batch).finally(end);
    } else if (batch.topic === topics.clickstreamNormalized) {
      const end = metrics.batchSeconds.startTimer({ topic: 'clickstream' });
      await this.handleActions(batch).finally(end);
    } else if (batch.topic === topics.erasureCommands) {
      this.forgetErasedUsers(batch);
    }
  }

  /** An erased user's lists leave the cache (the privacy worker removes the rows). */
  private forgetErasedUsers(batch: MessageBatch): void {
    for (const m of batch.messages) {
      const erased = erasedUserOf(m.value);
      if (erased === undefined) continue;
      const { pseudonymize } = this.options;
      this.options.cache.forgetUser(pseudonymize && !erased.pseudonymized ? pseudonymize(erased.userId) : erased.userId);
    }
  }

  /**
   * Attributes pending actions whose list has been stored since (a list and
   * its action committed at the same moment by two transactions), drops those
   * older than the window, and updates the pending gauge.
   */
  async sweep(): Promise<void> {
    const { store, window, metrics } = this.options;
    const now = this.clock();
    const head = await this.options.head.current();
    const { resolution, complete } = await this.exclusive(() =>
      store.transaction(async (manager) => {
        const matched = await store.lockPendingMatched(manager, { sinceMs: this.sweptSinceMs ?? 0, lookbackMs: window.windowMs, lookaheadMs: window.skewMs, limit: SWEEP_LIMIT });
        const resolution = await this.resolve(manager, matched, head, now);
        await store.deletePending(manager, resolution.done);
        await this.commit(manager, resolution, []);
        return { resolution, complete: matched.length < SWEEP_LIMIT };
      }),
    );
    this.report(resolution);
    if (resolution.observations.length > 0) this.logger.log(`attributed ${resolution.observations.length} actions whose list was stored by a concurrent batch`);
    if (complete) this.sweptSinceMs = now - SWEEP_OVERLAP_MS;

    for (;;) {
      const expired = await this.exclusive(() =>
        store.transaction(async (manager) => {
          const rows = await store.lockPendingOlderThan(manager, now - window.windowMs - window.skewMs, SWEEP_LIMIT);
          await store.deletePending(manager, rows.map((r) => r.eventId));
          return rows.length;
        }),
      );
      if (expired > 0) metrics.actions.inc({ outcome: 'expired' }, expired);
      if (expired < SWEEP_LIMIT) break;
    }
    const pending = await store.pendingCounts();
    metrics.pendingActions.set({ kind: 'rec_id' }, pending.recId);
    metrics.pendingActions.set({ kind: 'view_through' }, pending.viewThrough);
  }

  private async handleServed(batch: MessageBatch): Promise<void> {
    const { store, metrics, cache } = this.options;
    const lists = new Map<string, ServedListRecord>();
    let repeated = 0;
    for (const m of batch.messages) {
      const parsed = parseServedList(m.value);
      if (isInvalid(parsed)) {
        metrics.servedLists.inc({ outcome: 'invalid' });
        this.logger.error(`skipping ${batch.topic}[${batch.partition}]@${m.offset}: ${parsed.invalid}`);
      } else if (lists.has(parsed.recId)) {
        repeated++;
      } else {
        lists.set(parsed.recId, parsed);
      }
    }
    if (lists.size === 0) {
      if (repeated > 0) metrics.servedLists.inc({ outcome: 'duplicate' }, repeated);
      return;
    }
    const head = await this.options.head.current();
    const now = this.clock();
    const { fresh, resolution } = await this.exclusive(() =>
      store.transaction(async (manager) => {
        const freshIds = await store.insertServedLists(manager, [...lists.values()], now);
        const fresh = [...lists.values()].filter((l) => freshIds.has(l.recId));
        // Actions that arrived before their list: by rec_id, and purchases without one by this user of a listed item.
        const waiting = await store.lockPendingForLists(manager, fresh.map((l) => l.recId));
        waiting.push(...(await store.lockPendingViewThrough(manager, fresh.map((l) => ({ userId: l.userId, itemIds: l.items.map((i) => i.itemId) })))));
        const resolution = await this.resolve(manager, waiting, head, now, new Map(fresh.map((l) => [l.recId, l])));
        await store.deletePending(manager, resolution.done);
        await this.commit(manager, resolution, fresh.map((l) => ({ ...this.bucketOf(l), impressions: 1, itemsShown: l.items.length })), fresh.flatMap((l) => unitOf(l, { impressions: 1 })));
        return { fresh, resolution };
      }),
    );
    for (const l of fresh) {
      cache.set(l);
      metrics.impression(l, l.items.length);
    }
    metrics.servedLists.inc({ outcome: 'stored' }, fresh.length);
    const duplicates = lists.size - fresh.length + repeated;
    if (duplicates > 0) metrics.servedLists.inc({ outcome: 'duplicate' }, duplicates);
    this.report(resolution);
  }

  private async handleActions(batch: MessageBatch): Promise<void> {
    const { store, metrics, currency } = this.options;
    const actions = new Map<string, ActionRecord>();
    let ignored = 0;
    let repeated = 0;
    for (const m of batch.messages) {
      const parsed = parseAction(m.value, currency);
      if (parsed === 'ignored') {
        ignored++;
      } else if (isInvalid(parsed)) {
        metrics.actions.inc({ outcome: 'invalid' });
        this.logger.error(`skipping ${batch.topic}[${batch.partition}]@${m.offset}: ${parsed.invalid}`);
      } else if (actions.has(parsed.eventId)) {
        repeated++;
      } else {
        actions.set(parsed.eventId, parsed);
      }
    }
    if (ignored > 0) metrics.actions.inc({ outcome: 'ignored' }, ignored);
    if (actions.size === 0) {
      if (repeated > 0) metrics.actions.inc({ outcome: 'duplicate' }, repeated);
      return;
    }
    const head = await this.options.head.current();
    const now = this.clock();
    const { todo, resolution } = await this.exclusive(() =>
      store.transaction(async (manager) => {
        const fresh = await store.claimEvents(manager, [...actions.keys()], now);
        const todo = [...actions.values()].filter((a) => fresh.has(a.eventId));
        const resolution = await this.resolve(manager, todo.map((a) => pendingRow(a, now)), head, now);
        await store.insertPending(manager, resolution.waiting);
        await this.commit(manager, resolution, []);
        return { todo, resolution };
      }),
    );
    const duplicates = actions.size - todo.length + repeated;
    if (duplicates > 0) metrics.actions.inc({ outcome: 'duplicate' }, duplicates);
    const foreign = todo.filter((a) => a.foreignCurrency).length;
    if (foreign > 0) metrics.foreignCurrencyPurchases.inc(foreign);
    this.report(resolution);
  }

  /**
   * The attribution rules over a set of actions, inside the caller's
   * transaction: by rec_id (the list's position of the item, within the
   * window), or for a purchase without rec_id by the most recent list that
   * showed the item to the user within the window (view-through); clicks and
   * carts once per shown item. `known` holds lists stored in this transaction.
   */
  private async resolve(manager: EntityManager, candidates: readonly PendingActionRow[], head: ReadonlySet<string>, now: number, known = new Map<string, ServedListRecord>()): Promise<Resolution> {
    const { store, cache, window } = this.options;
    const out: Resolution = { attributed: [], increments: [], waiting: [], done: [], outcomes: [], observations: [], units: [] };
    const unique = [...new Map(candidates.map((c) => [c.eventId, c])).values()];
    const lists = new Map<string, ServedListRecord>();
    const missing: string[] = [];
    for (const recId of new Set(unique.filter((c) => c.recId !== '').map((c) => c.recId))) {
      const list = known.get(recId) ?? cache.get(recId);
      if (list) lists.set(recId, list);
      else missing.push(recId);
    }
    if (missing.length > 0) for (const [recId, list] of await store.servedLists(manager, missing)) lists.set(recId, list);

    const hits: Array<{ action: PendingActionRow & { action: AttributableAction }; list: ServedListMeta; position: number; viewThrough: boolean }> = [];
    // Too old to wait for a list (a replay, a backfill): the sweep would only drop it.
    const wait = (c: PendingActionRow): void => {
      if (c.tsMs < now - window.windowMs - window.skewMs) this.settle(out, c, 'expired');
      else out.waiting.push(c);
    };
    const attributable = unique.filter((c): c is PendingActionRow & { action: AttributableAction } => isAttributable(c.action));
    const withoutRecId = attributable.filter((c) => c.recId === '');
    const shown = await store.latestListsShowing(manager, withoutRecId.map((c) => ({ userId: c.userId, itemId: c.itemId, fromMs: c.tsMs - window.windowMs, toMs: c.tsMs + window.skewMs })));
    const viewed = new Map(withoutRecId.map((c, i) => [c, shown[i]]));
    for (const action of attributable) {
      if (action.recId !== '') {
        const list = lists.get(action.recId);
        if (!list) {
          wait(action);
          continue;
        }
        const decision = decide(list, action, window);
        if (decision.kind === 'attributed') hits.push({ action, list, position: decision.position, viewThrough: false });
        else this.settle(out, action, decision.kind);
      } else {
        const hit = viewed.get(action);
        if (hit) hits.push({ action, list: hit.list, position: hit.position, viewThrough: true });
        else wait(action);
      }
    }

    const keys = hits.map((h) => (h.viewThrough ? null : onceKey(h.list.recId, h.position, h.action.action)));
    const taken = await store.onceKeysTaken(manager, keys.filter((k): k is string => k !== null));
    hits.forEach(({ action: a, list, position, viewThrough }, i) => {
      const key = keys[i];
      if (key !== null && taken.has(key)) {
        this.settle(out, a, 'repeat');
        return;
      }
      if (key !== null) taken.add(key);
      const tail = isTail(head, a.itemId);
      out.attributed.push({
        eventId: a.eventId, recId: list.recId, action: a.action, position, itemId: a.itemId, userId: a.userId, quantity: a.quantity,
        revenueMinor: a.revenueMinor, viewThrough: viewThrough ? 1 : 0, tail: tail ? 1 : 0, tsMs: a.tsMs, servedTsMs: list.tsMs, attributedAtMs: now, onceKey: key,
      });
      out.increments.push(
        viewThrough
          ? { ...this.bucketOf(list), viewThroughPurchases: 1, viewThroughRevenueMinor: a.revenueMinor }
          : {
              ...this.bucketOf(list),
              [ActionRules[a.action].counter]: 1,
              ...(a.action === Action.CLICK ? { positionSum: position, tailClicks: tail ? 1 : 0 } : {}),
              ...(a.action === Action.PURCHASE ? { revenueMinor: a.revenueMinor } : {}),
            },
      );
      // Experiments compare what each arm's lists led to: actions attributed by rec_id.
      if (!viewThrough) out.units.push(...unitOf(list, { [ActionRules[a.action].counter]: 1, ...(a.action === Action.PURCHASE ? { revenue: a.revenueMinor / 100 } : {}) }, a.tsMs));
      out.done.push(a.eventId);
      out.outcomes.push(viewThrough ? 'view_through' : 'attributed');
      out.observations.push({ list, action: a.action, position, revenueMinor: a.revenueMinor, viewThrough, tail, lagSeconds: (now - a.tsMs) / 1000 });
    });
    return out;
  }

  private settle(out: Resolution, action: PendingActionRow, outcome: ActionOutcome): void {
    out.done.push(action.eventId);
    out.outcomes.push(outcome);
  }

  private async commit(manager: EntityManager, resolution: Resolution, increments: readonly BucketIncrement[], units: readonly UnitOutcome[] = []): Promise<void> {
    await this.options.store.insertAttributed(manager, resolution.attributed);
    await this.options.store.addToBuckets(manager, [...increments, ...resolution.increments]);
    await this.options.experiments?.addOutcomes(manager, [...units, ...resolution.units]);
  }

  /** After the commit: Prometheus follows what the tables now hold. */
  private report(resolution: Resolution): void {
    const counts = new Map<ActionOutcome, number>();
    for (const o of resolution.outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
    for (const [outcome, n] of counts) this.options.metrics.actions.inc({ outcome }, n);
    for (const o of resolution.observations) this.options.metrics.attributed(o);
  }

  /** Buckets are by the time the list was served: an impression and what it led to share one bucket. */
  private bucketOf(list: ServedListMeta): { bucketStartMs: number; surface: string; modelVersion: string; arm: string } {
    return { bucketStartMs: bucketStart(list.tsMs, this.options.bucketMs), surface: list.surface, modelVersion: list.modelVersion, arm: list.arm };
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** A list of an experiment adds to its user's outcomes (lists without experiment or user add nothing). */
function unitOf(list: ServedListMeta, add: Omit<UnitOutcome, 'experiment' | 'unitId' | 'arm' | 'tsMs'>, tsMs = list.tsMs): UnitOutcome[] {
  return list.experiment === '' || list.userId === '' ? [] : [{ experiment: list.experiment, unitId: list.userId, arm: list.arm, tsMs, ...add }];
}

function erasedUserOf(value: Buffer | null): { userId: string; pseudonymized: boolean } | undefined {
  if (!value) return undefined;
  try {
    const { userId, pseudonymized } = fromBinary(UserErasureCommandSchema, value);
    return userId === '' ? undefined : { userId, pseudonymized };
  } catch {
    return undefined;
  }
}

function pendingRow(a: ActionRecord, receivedAtMs: number): PendingActionRow {
  return {
    eventId: a.eventId, recId: a.recId, userId: a.userId, itemId: a.itemId, action: a.action,
    quantity: a.quantity, revenueMinor: a.revenueMinor, tsMs: a.tsMs, receivedAtMs,
  };
}
