import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ingest recognises a redelivered record by its raw-topic position instead of a per-row
 * `forwarded` flag, which cost an UPDATE of every stored row (MySQL / MariaDB; both changes
 * are instant on MariaDB 10.4+ and MySQL 8.0.29+). Rows stored before keep -1: a copy of them
 * arriving again counts as a duplicate.
 */
export class IngestSourcePosition1765700000000 implements MigrationInterface {
  name = 'IngestSourcePosition1765700000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['clickstream_events', 'catalog_events']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN source_partition INT NOT NULL DEFAULT -1, ADD COLUMN source_offset BIGINT NOT NULL DEFAULT -1, DROP COLUMN forwarded`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['catalog_events', 'clickstream_events']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN forwarded SMALLINT NOT NULL DEFAULT 1, DROP COLUMN source_offset, DROP COLUMN source_partition`);
    }
  }
}
