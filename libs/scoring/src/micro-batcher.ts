import { DeadlineExceededError, QueueFullError } from '@recmesh/serving-core';

export interface MicroBatcherOptions {
  /** Requests scored together in one call (one matrix product). */
  readonly maxBatchSize: number;
  /** Longest a request waits for others before its batch is scored anyway. */
  readonly maxWaitMs: number;
  /** Requests allowed to wait; beyond it submit() fails fast instead of queueing forever. */
  readonly maxQueue: number;
}

interface Pending<Req, Res> {
  readonly request: Req;
  readonly deadline: number;
  resolve(result: Res): void;
  reject(error: unknown): void;
}

/**
 * Dynamic micro-batching: requests arriving within `maxWaitMs` of each other
 * (up to `maxBatchSize`) are processed by one call of `processBatch`. One batch
 * runs at a time; requests arriving meanwhile form the next batch, so under
 * load batches grow and the per-request cost falls. With maxBatchSize 1 it is
 * a plain bounded queue (batching off), for comparison.
 */
export class MicroBatcher<Req, Res> {
  private readonly queue: Pending<Req, Res>[] = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly batchSizes: number[] = [];

  constructor(
    private readonly processBatch: (requests: Req[]) => Promise<Res[]>,
    private readonly options: MicroBatcherOptions,
  ) {
    if (options.maxBatchSize < 1 || options.maxWaitMs < 0 || options.maxQueue < 1) {
      throw new Error(`invalid micro-batcher options ${JSON.stringify(options)}`);
    }
  }

  /** Resolves with this request's result; rejects with QueueFullError or DeadlineExceededError. */
  submit(request: Req, deadline = Number.POSITIVE_INFINITY): Promise<Res> {
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(new QueueFullError(this.options.maxQueue));
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ request, deadline, resolve, reject });
      this.schedule();
    });
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Sizes of the batches processed so far (most recent last, bounded). */
  recentBatchSizes(): readonly number[] {
    return this.batchSizes;
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length >= this.options.maxBatchSize || this.options.maxWaitMs === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.options.maxWaitMs);
    }
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const now = Date.now();
    const batch: Pending<Req, Res>[] = [];
    while (batch.length < this.options.maxBatchSize && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (next.deadline <= now) next.reject(new DeadlineExceededError());
      else batch.push(next);
    }
    try {
      if (batch.length > 0) {
        this.batchSizes.push(batch.length);
        if (this.batchSizes.length > 1000) this.batchSizes.shift();
        const results = await this.processBatch(batch.map((p) => p.request));
        if (results.length !== batch.length) throw new Error(`batch of ${batch.length} produced ${results.length} results`);
        batch.forEach((p, i) => p.resolve(results[i]));
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.running = false;
      // Whatever queued up meanwhile has already waited: score it now.
      if (this.queue.length > 0) void this.flush();
    }
  }
}
