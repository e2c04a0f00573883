import { MigrationInterface, QueryRunner } from 'typeorm';

/** Registry of servable model versions (MySQL / MariaDB). */
export class ModelVersions1764000000000 implements MigrationInterface {
  name = 'ModelVersions1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE model_versions (
      model_version VARCHAR(128) NOT NULL, location VARCHAR(1024) NOT NULL, status VARCHAR(16) NOT NULL DEFAULT 'active',
      registered_at_ms BIGINT NOT NULL, PRIMARY KEY (model_version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE model_versions');
  }
}
