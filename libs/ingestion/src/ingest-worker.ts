import { Logger } from '@nestjs/common';
import { topicDeclarations, TopicNames } from '@recmesh/contracts';
import { MessageBus, Subscription } from '@recmesh/messaging';
import { IngestPipeline } from './ingest-pipeline';

export interface IngestWorkerOptions {
  readonly bus: MessageBus;
  readonly pipeline: IngestPipeline;
  readonly groupId: string;
  readonly maxBatchMessages: number;
  readonly partitionsConcurrently: number;
  readonly topics: TopicNames;
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
    const { topics } = this.options;
    await this.options.bus.ensureTopics(topicDeclarations(topics));
    this.subscription = await this.options.bus.subscribe({
      groupId: this.options.groupId,
      topics: [topics.clickstreamRaw, topics.catalogRaw],
      fromBeginning: true,
      maxBatchMessages: this.options.maxBatchMessages,
      partitionsConcurrently: this.options.partitionsConcurrently,
      handler: (batch) => this.options.pipeline.handle(batch),
    });
    this.logger.log(`consuming ${topics.clickstreamRaw} and ${topics.catalogRaw} as group ${this.options.groupId}`);
  }

  /** Lets the batch in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    if (!this.subscription) return;
    await this.subscription.stop();
    this.subscription = undefined;
    this.logger.log(`drained the batch in flight and left consumer group ${this.options.groupId}`);
  }

  get running(): boolean {
    return this.subscription !== undefined;
  }
}
