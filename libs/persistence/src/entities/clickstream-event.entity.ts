import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/** One accepted clickstream event. event_id is the dedup key. */
@Entity({ name: 'clickstream_events' })
@Index('ix_clickstream_user_ts', ['userId', 'tsMs'])
@Index('ix_clickstream_ts', ['tsMs'])
@Index('ix_clickstream_item', ['itemId'])
export class ClickstreamEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 })
  eventId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ name: 'session_id', type: 'varchar', length: 128, default: '' })
  sessionId!: string;

  @Column({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  /** recmesh.events.v1.Action number. */
  @Column({ type: 'smallint' })
  action!: number;

  @Column({ type: 'int', default: 1 })
  quantity!: number;

  @Column({ type: 'double', nullable: true, default: null })
  price!: number | null;

  @Column({ type: 'varchar', length: 3, default: '' })
  currency!: string;

  @Column({ type: 'double', nullable: true, default: null })
  rating!: number | null;

  @Column({ name: 'ts_ms', type: 'bigint', transformer: bigintAsNumber })
  tsMs!: number;

  @Column({ name: 'rec_id', type: 'varchar', length: 128, default: '' })
  recId!: string;

  @Column({ type: 'simple-json', nullable: true, default: null })
  context!: Record<string, unknown> | null;

  @Column({ name: 'ingested_at_ms', type: 'bigint', transformer: bigintAsNumber })
  ingestedAtMs!: number;

  /** Where the event was read on the raw topic (-1: not from the topic); see storeIdempotently. */
  @Column({ name: 'source_partition', type: 'int', default: -1 })
  sourcePartition!: number;

  @Column({ name: 'source_offset', type: 'bigint', default: -1, transformer: bigintAsNumber })
  sourceOffset!: number;
}
