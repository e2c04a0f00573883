import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the feedback service: served lists, attribution and online metric buckets (MySQL / MariaDB). */
export class FeedbackTables1765200000000 implements MigrationInterface {
  name = 'FeedbackTables1765200000000';

  async up(q: QueryRunner): Promise<void> {
    const table = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
    await q.query(`CREATE TABLE feedback_applied_events (
      event_id VARCHAR(128) NOT NULL, applied_at_ms BIGINT NOT NULL, PRIMARY KEY (event_id)) ${table}`);
    await q.query(`CREATE TABLE feedback_served_lists (
      rec_id VARCHAR(128) NOT NULL, user_id VARCHAR(128) NOT NULL DEFAULT '', surface VARCHAR(32) NOT NULL, model_version VARCHAR(128) NOT NULL,
      arm VARCHAR(64) NOT NULL, experiment VARCHAR(64) NOT NULL DEFAULT '', ts_ms BIGINT NOT NULL, item_count INT NOT NULL, received_at_ms BIGINT NOT NULL,
      PRIMARY KEY (rec_id), KEY ix_feedback_served_lists_ts (ts_ms)) ${table}`);
    await q.query(`CREATE TABLE feedback_served_items (
      rec_id VARCHAR(128) NOT NULL, position INT NOT NULL, item_id VARCHAR(128) NOT NULL, user_id VARCHAR(128) NOT NULL DEFAULT '', ts_ms BIGINT NOT NULL,
      PRIMARY KEY (rec_id, position), KEY ix_feedback_served_items_user_item_ts (user_id, item_id, ts_ms)) ${table}`);
    await q.query(`CREATE TABLE feedback_attributed_actions (
      event_id VARCHAR(128) NOT NULL, rec_id VARCHAR(128) NOT NULL, action SMALLINT NOT NULL, position INT NOT NULL, item_id VARCHAR(128) NOT NULL,
      user_id VARCHAR(128) NOT NULL DEFAULT '', quantity INT NOT NULL DEFAULT 1, revenue_minor BIGINT NOT NULL DEFAULT 0,
      view_through SMALLINT NOT NULL DEFAULT 0, tail SMALLINT NOT NULL DEFAULT 0, ts_ms BIGINT NOT NULL, served_ts_ms BIGINT NOT NULL,
      attributed_at_ms BIGINT NOT NULL, once_key VARCHAR(160) NULL DEFAULT NULL,
      PRIMARY KEY (event_id), KEY ix_feedback_attributed_actions_rec (rec_id), UNIQUE KEY ux_feedback_attributed_actions_once (once_key)) ${table}`);
    await q.query(`CREATE TABLE feedback_pending_actions (
      event_id VARCHAR(128) NOT NULL, rec_id VARCHAR(128) NOT NULL DEFAULT '', user_id VARCHAR(128) NOT NULL, item_id VARCHAR(128) NOT NULL,
      action SMALLINT NOT NULL, quantity INT NOT NULL DEFAULT 1, revenue_minor BIGINT NOT NULL DEFAULT 0, ts_ms BIGINT NOT NULL,
      received_at_ms BIGINT NOT NULL, PRIMARY KEY (event_id), KEY ix_feedback_pending_actions_rec (rec_id),
      KEY ix_feedback_pending_actions_user_item (user_id, item_id), KEY ix_feedback_pending_actions_received (received_at_ms),
      KEY ix_feedback_pending_actions_ts (ts_ms)) ${table}`);
    await q.query(`CREATE TABLE feedback_metric_buckets (
      bucket_start_ms BIGINT NOT NULL, surface VARCHAR(32) NOT NULL, model_version VARCHAR(128) NOT NULL, arm VARCHAR(64) NOT NULL,
      impressions BIGINT NOT NULL DEFAULT 0, items_shown BIGINT NOT NULL DEFAULT 0, clicks BIGINT NOT NULL DEFAULT 0,
      add_to_carts BIGINT NOT NULL DEFAULT 0, purchases BIGINT NOT NULL DEFAULT 0, revenue_minor BIGINT NOT NULL DEFAULT 0,
      position_sum BIGINT NOT NULL DEFAULT 0, tail_clicks BIGINT NOT NULL DEFAULT 0, view_through_purchases BIGINT NOT NULL DEFAULT 0,
      view_through_revenue_minor BIGINT NOT NULL DEFAULT 0,
      PRIMARY KEY (bucket_start_ms, surface, model_version, arm)) ${table}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['feedback_metric_buckets', 'feedback_pending_actions', 'feedback_attributed_actions', 'feedback_served_items', 'feedback_served_lists', 'feedback_applied_events']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
