import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/** One retraining attempt and how it ended. */
@Entity({ name: 'training_runs' })
@Index('ix_training_runs_started', ['startedAtMs'])
export class TrainingRunEntity {
  @PrimaryColumn({ name: 'run_id', type: 'varchar', length: 64 })
  runId!: string;

  /** "running", "skipped", "failed", "abandoned", "promoted" or "rejected". */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  /** "schedule" or "admin". */
  @Column({ type: 'varchar', length: 16 })
  trigger!: string;

  @Column({ name: 'started_at_ms', type: 'bigint', transformer: bigintAsNumber })
  startedAtMs!: number;

  @Column({ name: 'finished_at_ms', type: 'bigint', nullable: true, default: null, transformer: bigintAsNumber })
  finishedAtMs!: number | null;

  @Column({ name: 'candidate_version', type: 'varchar', length: 128, nullable: true, default: null })
  candidateVersion!: string | null;

  @Column({ type: 'text' })
  reason!: string;

  /** Export fingerprint, event counts, metrics, timings (JSON). */
  @Column({ type: 'text', nullable: true, default: null })
  details!: string | null;
}

/** The single retraining lock: which run holds it and when it last said it is alive. */
@Entity({ name: 'trainer_lock' })
export class TrainerLockEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  name!: string;

  @Column({ name: 'run_id', type: 'varchar', length: 64, nullable: true, default: null })
  runId!: string | null;

  @Column({ name: 'heartbeat_at_ms', type: 'bigint', transformer: bigintAsNumber })
  heartbeatAtMs!: number;
}
