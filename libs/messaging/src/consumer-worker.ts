import { Logger } from '@nestjs/common';
import { BatchHandler, MessageBus, Subscription, TopicDeclaration } from './message-bus';

export interface ConsumerWorkerOptions {
  readonly name: string;
  readonly bus: MessageBus;
  readonly groupId: string;
  /** Topics to create when missing (consumed and produced ones alike). */
  readonly declare: readonly TopicDeclaration[];
  readonly consume: readonly string[];
  readonly handler: BatchHandler;
  readonly maxBatchMessages: number;
  readonly partitionsConcurrently: number;
}

/**
 * A service's consumer: N instances with the same group id share the
 * partitions; offsets move only after the handler made a batch durable;
 * stop() drains the batch in flight before leaving the group.
 */
export class ConsumerWorker {
  private readonly logger: Logger;
  private subscription?: Subscription;

  constructor(private readonly options: ConsumerWorkerOptions) {
    this.logger = new Logger(options.name);
  }

  async start(): Promise<void> {
    const { bus, groupId, consume } = this.options;
    await bus.ensureTopics(this.options.declare);
    this.subscription = await bus.subscribe({
      groupId,
      topics: consume,
      fromBeginning: true,
      maxBatchMessages: this.options.maxBatchMessages,
      partitionsConcurrently: this.options.partitionsConcurrently,
      handler: this.options.handler,
    });
    this.logger.log(`consuming ${consume.join(' and ')} as group ${groupId}`);
  }

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
