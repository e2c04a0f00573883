import { Logger } from '@nestjs/common';
import { topicDeclarations, TopicNames } from '@recmesh/contracts';
import { ConsumerWorker, MessageBus } from '@recmesh/messaging';
import { FeedbackMetrics } from './feedback-metrics';
import { FeedbackPipeline } from './feedback-pipeline';

export interface FeedbackWorkerOptions {
  readonly bus: MessageBus;
  readonly pipeline: FeedbackPipeline;
  readonly metrics: FeedbackMetrics;
  readonly groupId: string;
  readonly maxBatchMessages: number;
  readonly topics: TopicNames;
  readonly sweepMs: number;
}

/**
 * Consumes the served lists and the normalized clickstream in one consumer
 * group shared by all feedback instances, and sweeps the pending actions
 * every `sweepMs` while it runs.
 */
export class FeedbackWorker extends ConsumerWorker {
  private readonly sweepLogger = new Logger('FeedbackSweep');
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopped = true;

  constructor(private readonly feedback: FeedbackWorkerOptions) {
    super({
      name: 'FeedbackWorker',
      bus: feedback.bus,
      groupId: feedback.groupId,
      declare: topicDeclarations(feedback.topics),
      // Erasure commands too: an erased user's lists leave the served-list cache.
      consume: [feedback.topics.recommendationsServed, feedback.topics.clickstreamNormalized, feedback.topics.erasureCommands],
      handler: (batch) => feedback.pipeline.handle(batch),
      maxBatchMessages: feedback.maxBatchMessages,
      // The pipeline's transactions run one at a time per instance; more instances split the partitions.
      partitionsConcurrently: 1,
    });
  }

  override async start(): Promise<void> {
    await super.start();
    this.stopped = false;
    this.schedule(0);
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
    await super.stop();
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.sweeping = this.feedback.pipeline
        .sweep()
        .catch((error: unknown) => {
          this.feedback.metrics.sweepFailures.inc();
          this.sweepLogger.warn(`sweep failed, retrying in ${this.feedback.sweepMs} ms: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => {
          this.sweeping = undefined;
          if (!this.stopped) this.schedule(this.feedback.sweepMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
