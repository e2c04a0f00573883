import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/** A trained model registered for serving; the newest active one is served. */
@Entity({ name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryColumn({ name: 'model_version', type: 'varchar', length: 128 })
  modelVersion!: string;

  /** Folder with manifest.json and the ONNX files, readable by every scorer. */
  @Column({ type: 'varchar', length: 1024 })
  location!: string;

  /** "active" or "retired". */
  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: string;

  @Column({ name: 'registered_at_ms', type: 'bigint', transformer: bigintAsNumber })
  registeredAtMs!: number;
}
