import { Logger } from '@nestjs/common';
import { AllTopics, Topics } from '@recmesh/contracts';
import { MessageBus, Subscription } from '@recmesh/messaging';
import { IngestPipeline } from './ingest-pipeline';

export interface IngestWorkerOptions {
  readonly bus: MessageBus;
  readonly pipeline: IngestPipeline;
  readonly groupId: string;
  readonly maxBatchMessages: number;
}

/**
 * Consumes both raw topics in one consumer group: N instances with the same
 * group id share the partitions; offsets move only after a batch is durable.
 */
export class IngestWorker {
  private readonly logger = new Logger(IngestWorker.name);
  private subscription?: Subscription;

  constructor(private readonly options: IngestWorkerOptions) {}

  async start(): Promise<void> {
    await this.options.bus.ensureTopics(AllTopics);
    this.subscription = await this.options.bus.subscribe({
      groupId: this.options.groupId,
      topics: [Topics.clickstreamRaw.name, Topics.catalogRaw.name],
      fromBeginning: true,
      maxBatchMessages: this.options.maxBatchMessages,
      handler: (batch) => this.options.pipeline.handle(batch),
    });
    this.logger.log(`consuming ${Topics.clickstreamRaw.name} and ${Topics.catalogRaw.name} as group ${this.options.groupId}`);
  }

  /** Lets the batch in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  get running(): boolean {
    return this.subscription !== undefined;
  }
}
