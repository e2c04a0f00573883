import { MigrationInterface, QueryRunner } from 'typeorm';

/** How long the gateway took to answer each served list: a canary's latency guardrail reads it per arm (MySQL / MariaDB). */
export class ServedListLatency1765400000000 implements MigrationInterface {
  name = 'ServedListLatency1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE feedback_served_lists ADD COLUMN latency_ms INT NOT NULL DEFAULT 0 AFTER experiment');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE feedback_served_lists DROP COLUMN latency_ms');
  }
}
