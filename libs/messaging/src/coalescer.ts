interface Waiting<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Handles together the items handed over in the same turn of the event loop. A consumer with
 * partitionsConcurrently > 1 hands over one batch per partition from each fetch: coalesced, they
 * share one store transaction, one produce request and one offset commit instead of one each.
 * Every caller's promise settles with the shared outcome, so a partition still commits only after
 * its records are durable, and a failure redelivers all of them (the handlers are idempotent).
 */
export class Coalescer<T> {
  private waiting: Waiting<T>[] = [];

  constructor(private readonly handleAll: (items: readonly T[]) => Promise<void>) {}

  readonly handle = (item: T): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({ item, resolve, reject });
    });

  private async flush(): Promise<void> {
    const group = this.waiting;
    this.waiting = [];
    try {
      await this.handleAll(group.map((w) => w.item));
      for (const w of group) w.resolve();
    } catch (error) {
      for (const w of group) w.reject(error);
    }
  }
}
