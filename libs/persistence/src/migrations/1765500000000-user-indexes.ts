import { MigrationInterface, QueryRunner } from 'typeorm';

/** Indexes by user on the tables that lacked one, so erasing a user reads only that user's rows (MySQL / MariaDB). */
export class UserIndexes1765500000000 implements MigrationInterface {
  name = 'UserIndexes1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX ix_feedback_served_lists_user ON feedback_served_lists (user_id)');
    await q.query('CREATE INDEX ix_feedback_attributed_actions_user ON feedback_attributed_actions (user_id)');
    await q.query('CREATE INDEX ix_experiment_units_unit ON experiment_units (unit_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX ix_experiment_units_unit ON experiment_units');
    await q.query('DROP INDEX ix_feedback_attributed_actions_user ON feedback_attributed_actions');
    await q.query('DROP INDEX ix_feedback_served_lists_user ON feedback_served_lists');
  }
}
