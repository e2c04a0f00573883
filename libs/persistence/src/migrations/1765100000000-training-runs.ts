import { MigrationInterface, QueryRunner } from 'typeorm';

/** Retraining runs and the lock that keeps two from running at once (MySQL / MariaDB). */
export class TrainingRuns1765100000000 implements MigrationInterface {
  name = 'TrainingRuns1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE training_runs (
      run_id VARCHAR(64) NOT NULL, status VARCHAR(16) NOT NULL, \`trigger\` VARCHAR(16) NOT NULL, started_at_ms BIGINT NOT NULL,
      finished_at_ms BIGINT NULL DEFAULT NULL, candidate_version VARCHAR(128) NULL DEFAULT NULL, reason TEXT NOT NULL, details TEXT NULL DEFAULT NULL,
      PRIMARY KEY (run_id), KEY ix_training_runs_started (started_at_ms)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE trainer_lock (
      name VARCHAR(32) NOT NULL, run_id VARCHAR(64) NULL DEFAULT NULL, heartbeat_at_ms BIGINT NOT NULL, PRIMARY KEY (name))
      ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE trainer_lock');
    await q.query('DROP TABLE training_runs');
  }
}
