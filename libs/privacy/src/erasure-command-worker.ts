import { Logger } from '@nestjs/common';
import { topicDeclarations, TopicNames } from '@recmesh/contracts';
import { ConsumerWorker, MessageBatch, MessageBus } from '@recmesh/messaging';
import { PrivacyMetrics } from './privacy-metrics';
import { parseErasureCommand, UserEraser } from './user-eraser';

/**
 * Carries out the erasure commands on the store: those the admin API
 * published (a second, idempotent pass that finishes an erasure a crash cut
 * short) and those a shop publishes itself. The offset moves only once the
 * rows are gone.
 */
export class ErasureCommandWorker extends ConsumerWorker {
  private static readonly logger = new Logger('ErasureCommands');

  constructor(options: { bus: MessageBus; topics: TopicNames; groupId: string; eraser: UserEraser; metrics: PrivacyMetrics }) {
    super({
      name: 'ErasureCommandWorker',
      bus: options.bus,
      groupId: options.groupId,
      declare: topicDeclarations(options.topics),
      consume: [options.topics.erasureCommands],
      handler: (batch) => ErasureCommandWorker.carryOut(batch, options.eraser, options.metrics),
      maxBatchMessages: 100,
      partitionsConcurrently: 1,
    });
  }

  private static async carryOut(batch: MessageBatch, eraser: UserEraser, metrics: PrivacyMetrics): Promise<void> {
    for (const m of batch.messages) {
      const command = parseErasureCommand(m.value);
      if (!command) {
        metrics.invalidCommands.inc();
        ErasureCommandWorker.logger.warn(`skipping ${batch.topic}[${batch.partition}]@${m.offset}: not a UserErasureCommand with a user id`);
        continue;
      }
      await eraser.eraseStored(command, 'command');
    }
  }
}
