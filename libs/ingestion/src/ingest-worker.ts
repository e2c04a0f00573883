import { topicDeclarations, TopicNames } from '@recmesh/contracts';
import { ConsumerWorker, MessageBus } from '@recmesh/messaging';
import { IngestPipeline } from './ingest-pipeline';

export interface IngestWorkerOptions {
  readonly bus: MessageBus;
  readonly pipeline: IngestPipeline;
  readonly groupId: string;
  readonly maxBatchMessages: number;
  readonly partitionsConcurrently: number;
  readonly topics: TopicNames;
}

/** Consumes both raw topics in one consumer group shared by all ingest instances. */
export class IngestWorker extends ConsumerWorker {
  constructor(options: IngestWorkerOptions) {
    super({
      name: 'IngestWorker',
      bus: options.bus,
      groupId: options.groupId,
      declare: topicDeclarations(options.topics),
      consume: [options.topics.clickstreamRaw, options.topics.catalogRaw],
      handler: (batch) => options.pipeline.handle(batch),
      maxBatchMessages: options.maxBatchMessages,
      partitionsConcurrently: options.partitionsConcurrently,
    });
  }
}
