import { MigrationInterface, QueryRunner } from 'typeorm';

/** Event log and catalog tables for ingest (MySQL / MariaDB). */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE clickstream_events (
      event_id VARCHAR(128) NOT NULL,
      user_id VARCHAR(128) NOT NULL,
      session_id VARCHAR(128) NOT NULL DEFAULT '',
      item_id VARCHAR(128) NOT NULL,
      action SMALLINT NOT NULL,
      quantity INT NOT NULL DEFAULT 1,
      price DOUBLE NULL,
      currency VARCHAR(3) NOT NULL DEFAULT '',
      rating DOUBLE NULL,
      ts_ms BIGINT NOT NULL,
      rec_id VARCHAR(128) NOT NULL DEFAULT '',
      context TEXT NULL,
      ingested_at_ms BIGINT NOT NULL,
      forwarded SMALLINT NOT NULL DEFAULT 0,
      PRIMARY KEY (event_id),
      KEY ix_clickstream_user_ts (user_id, ts_ms),
      KEY ix_clickstream_item (item_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE catalog_events (
      event_id VARCHAR(128) NOT NULL,
      item_id VARCHAR(128) NOT NULL,
      kind VARCHAR(16) NOT NULL,
      ts_ms BIGINT NOT NULL,
      payload TEXT NOT NULL,
      ingested_at_ms BIGINT NOT NULL,
      forwarded SMALLINT NOT NULL DEFAULT 0,
      PRIMARY KEY (event_id),
      KEY ix_catalog_events_item (item_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE catalog_items (
      item_id VARCHAR(128) NOT NULL,
      title VARCHAR(512) NOT NULL,
      description TEXT NOT NULL,
      category_path TEXT NOT NULL,
      leaf_category VARCHAR(128) NOT NULL DEFAULT '',
      brand VARCHAR(128) NOT NULL DEFAULT '',
      price DOUBLE NULL,
      currency VARCHAR(3) NOT NULL DEFAULT '',
      in_stock SMALLINT NOT NULL DEFAULT 1,
      attributes TEXT NOT NULL,
      deleted SMALLINT NOT NULL DEFAULT 0,
      updated_ts_ms BIGINT NOT NULL,
      PRIMARY KEY (item_id),
      KEY ix_catalog_items_leaf_category (leaf_category)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE catalog_items');
    await q.query('DROP TABLE catalog_events');
    await q.query('DROP TABLE clickstream_events');
  }
}
