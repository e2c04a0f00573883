import { MigrationInterface, QueryRunner } from 'typeorm';

/** Indexes on the time columns retention purges by, so each purge batch reads only old rows (MySQL / MariaDB). */
export class RetentionIndexes1765600000000 implements MigrationInterface {
  name = 'RetentionIndexes1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX ix_clickstream_ts ON clickstream_events (ts_ms)');
    await q.query('CREATE INDEX ix_user_sequences_updated ON user_sequences (updated_ts_ms)');
    await q.query('CREATE INDEX ix_feedback_served_items_ts ON feedback_served_items (ts_ms)');
    await q.query('CREATE INDEX ix_feedback_attributed_actions_ts ON feedback_attributed_actions (ts_ms)');
    await q.query('CREATE INDEX ix_feature_applied_events_at ON feature_applied_events (applied_at_ms)');
    await q.query('CREATE INDEX ix_feedback_applied_events_at ON feedback_applied_events (applied_at_ms)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX ix_feedback_applied_events_at ON feedback_applied_events');
    await q.query('DROP INDEX ix_feature_applied_events_at ON feature_applied_events');
    await q.query('DROP INDEX ix_feedback_attributed_actions_ts ON feedback_attributed_actions');
    await q.query('DROP INDEX ix_feedback_served_items_ts ON feedback_served_items');
    await q.query('DROP INDEX ix_user_sequences_updated ON user_sequences');
    await q.query('DROP INDEX ix_clickstream_ts ON clickstream_events');
  }
}
