import { MigrationInterface, QueryRunner } from 'typeorm';

/** A/B experiments and the per-unit outcomes their statistics read (MySQL / MariaDB). */
export class Experiments1765300000000 implements MigrationInterface {
  name = 'Experiments1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE experiments (
      name VARCHAR(64) NOT NULL, state VARCHAR(16) NOT NULL, definition TEXT NOT NULL, started_at_ms BIGINT NOT NULL,
      stopped_at_ms BIGINT NULL DEFAULT NULL, PRIMARY KEY (name), KEY ix_experiments_state (state))
      ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE experiment_units (
      experiment VARCHAR(64) NOT NULL, unit_id VARCHAR(255) NOT NULL, arm VARCHAR(32) NOT NULL, first_served_ms BIGINT NOT NULL,
      impressions INT NOT NULL DEFAULT 0, clicks INT NOT NULL DEFAULT 0, add_to_carts INT NOT NULL DEFAULT 0, purchases INT NOT NULL DEFAULT 0,
      revenue DOUBLE NOT NULL DEFAULT 0, PRIMARY KEY (experiment, unit_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE experiment_units');
    await q.query('DROP TABLE experiments');
  }
}
