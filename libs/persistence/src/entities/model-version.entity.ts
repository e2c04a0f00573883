import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/**
 * A trained model registered for serving. `candidate` waits for the promotion
 * gate, `active` is servable (the newest promoted one serves unless one is
 * pinned), `retired` never serves again.
 */
@Entity({ name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryColumn({ name: 'model_version', type: 'varchar', length: 128 })
  modelVersion!: string;

  /** Folder with manifest.json and the ONNX files, readable by every scorer. */
  @Column({ type: 'varchar', length: 1024 })
  location!: string;

  /** "candidate", "active" or "retired". */
  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: string;

  @Column({ name: 'registered_at_ms', type: 'bigint', transformer: bigintAsNumber })
  registeredAtMs!: number;

  /** When it was last promoted; the newest promoted active version serves. */
  @Column({ name: 'promoted_at_ms', type: 'bigint', nullable: true, default: null, transformer: bigintAsNumber })
  promotedAtMs!: number | null;

  /** A pinned version serves whatever else is promoted, until unpinned. */
  @Column({ type: 'smallint', default: 0 })
  pinned!: number;

  /** Offline metrics on the shop's holdout, training parameters and the data fingerprint (JSON). */
  @Column({ type: 'text', nullable: true, default: null })
  details!: string | null;
}

/** Why the served version changed (or did not): every promotion decision, with its reason. */
@Entity({ name: 'model_decisions' })
@Index('ix_model_decisions_version', ['modelVersion'])
export class ModelDecisionEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'model_version', type: 'varchar', length: 128 })
  modelVersion!: string;

  /** "registered", "promoted", "rejected", "pinned", "unpinned", "rolled_back". */
  @Column({ type: 'varchar', length: 16 })
  decision!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'decided_at_ms', type: 'bigint', transformer: bigintAsNumber })
  decidedAtMs!: number;
}
