import { MigrationInterface, QueryRunner } from 'typeorm';

/** Candidates, promotion time, pinning and recorded decisions for the model registry (MySQL / MariaDB). */
export class ModelLifecycle1765000000000 implements MigrationInterface {
  name = 'ModelLifecycle1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_versions
      ADD COLUMN promoted_at_ms BIGINT NULL DEFAULT NULL,
      ADD COLUMN pinned SMALLINT NOT NULL DEFAULT 0,
      ADD COLUMN details TEXT NULL DEFAULT NULL`);
    // Versions registered before this migration were served as soon as registered.
    await q.query('UPDATE model_versions SET promoted_at_ms = registered_at_ms WHERE status = \'active\'');
    await q.query(`CREATE TABLE model_decisions (
      id INT NOT NULL AUTO_INCREMENT, model_version VARCHAR(128) NOT NULL, decision VARCHAR(16) NOT NULL,
      reason TEXT NOT NULL, decided_at_ms BIGINT NOT NULL, PRIMARY KEY (id), KEY ix_model_decisions_version (model_version))
      ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE model_decisions');
    await q.query('ALTER TABLE model_versions DROP COLUMN promoted_at_ms, DROP COLUMN pinned, DROP COLUMN details');
  }
}
