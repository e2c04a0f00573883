import type { MessageBatch } from './message-bus';

interface Waiting {
  readonly batch: MessageBatch;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Handles together the partition batches that arrive in the same turn of the event loop (a
 * consumer with partitionsConcurrently > 1 hands over one batch per partition from each fetch):
 * one store transaction and one produce request for all of them instead of one per partition.
 * Each caller's promise settles with the shared outcome, so every partition still commits its
 * offsets only after its records are durable, and a failure redelivers all of them.
 */
export class BatchCoalescer {
  private waiting: Waiting[] = [];

  constructor(private readonly handleAll: (batches: readonly MessageBatch[]) => Promise<void>) {}

  readonly handle = (batch: MessageBatch): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({ batch, resolve, reject });
    });

  private async flush(): Promise<void> {
    const group = this.waiting;
    this.waiting = [];
    try {
      await this.handleAll(group.map((w) => w.batch));
      for (const w of group) w.resolve();
    } catch (error) {
      for (const w of group) w.reject(error);
    }
  }
}
