import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables feature-builder keeps fresh (MySQL / MariaDB). */
export class FeatureTables1763900000000 implements MigrationInterface {
  name = 'FeatureTables1763900000000';

  async up(q: QueryRunner): Promise<void> {
    const table = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
    await q.query(`CREATE TABLE feature_applied_events (
      event_id VARCHAR(128) NOT NULL, applied_at_ms BIGINT NOT NULL, PRIMARY KEY (event_id)) ${table}`);
    await q.query(`CREATE TABLE user_sequences (
      user_id VARCHAR(128) NOT NULL, steps TEXT NOT NULL, updated_ts_ms BIGINT NOT NULL, PRIMARY KEY (user_id)) ${table}`);
    await q.query(`CREATE TABLE item_popularity (
      item_id VARCHAR(128) NOT NULL, score DOUBLE NOT NULL, reference_ts_ms BIGINT NOT NULL, interactions INT NOT NULL DEFAULT 0,
      leaf_category VARCHAR(128) NOT NULL DEFAULT '', PRIMARY KEY (item_id),
      KEY ix_item_popularity_category_score (leaf_category, score), KEY ix_item_popularity_score (score)) ${table}`);
    await q.query(`CREATE TABLE item_pair_counts (
      item_a VARCHAR(128) NOT NULL, item_b VARCHAR(128) NOT NULL, session_count INT NOT NULL DEFAULT 0, order_count INT NOT NULL DEFAULT 0,
      PRIMARY KEY (item_a, item_b), KEY ix_item_pair_counts_a_session (item_a, session_count)) ${table}`);
    await q.query(`CREATE TABLE item_text_embeddings (
      item_id VARCHAR(128) NOT NULL, text_sha256 VARCHAR(64) NOT NULL, encoder VARCHAR(64) NOT NULL, vector TEXT NOT NULL,
      updated_ts_ms BIGINT NOT NULL, PRIMARY KEY (item_id)) ${table}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['item_text_embeddings', 'item_pair_counts', 'item_popularity', 'user_sequences', 'feature_applied_events']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
