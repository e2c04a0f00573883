import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/** An A/B experiment: its definition as the admin API took it, and whether it runs. */
@Entity({ name: 'experiments' })
@Index('ix_experiments_state', ['state'])
export class ExperimentEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  /** "running" or "stopped". */
  @Column({ type: 'varchar', length: 16 })
  state!: string;

  /** recmesh.experiments.v1.Experiment as proto JSON. */
  @Column({ type: 'text' })
  definition!: string;

  @Column({ name: 'started_at_ms', type: 'bigint', transformer: bigintAsNumber })
  startedAtMs!: number;

  @Column({ name: 'stopped_at_ms', type: 'bigint', nullable: true, default: null, transformer: bigintAsNumber })
  stoppedAtMs!: number | null;
}

/**
 * One unit (user, or session for anonymous shoppers) of an experiment: the arm it
 * was served from and what it did with those lists: the per-user values the
 * statistics are computed from.
 */
@Entity({ name: 'experiment_units' })
@Index('ix_experiment_units_unit', ['unitId'])
export class ExperimentUnitEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  experiment!: string;

  @PrimaryColumn({ name: 'unit_id', type: 'varchar', length: 255 })
  unitId!: string;

  @Column({ type: 'varchar', length: 32 })
  arm!: string;

  @Column({ name: 'first_served_ms', type: 'bigint', transformer: bigintAsNumber })
  firstServedMs!: number;

  @Column({ type: 'int', default: 0 })
  impressions!: number;

  @Column({ type: 'int', default: 0 })
  clicks!: number;

  @Column({ name: 'add_to_carts', type: 'int', default: 0 })
  addToCarts!: number;

  @Column({ type: 'int', default: 0 })
  purchases!: number;

  @Column({ type: 'double', default: 0 })
  revenue!: number;
}
