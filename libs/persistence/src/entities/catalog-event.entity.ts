import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/** One accepted catalog change, kept as the audit log behind catalog_items. */
@Entity({ name: 'catalog_events' })
@Index('ix_catalog_events_item', ['itemId'])
export class CatalogEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 })
  eventId!: string;

  @Column({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  /** "upsert" or "delete". */
  @Column({ type: 'varchar', length: 16 })
  kind!: string;

  @Column({ name: 'ts_ms', type: 'bigint', transformer: bigintAsNumber })
  tsMs!: number;

  /** The normalized protobuf JSON of the event. */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ name: 'ingested_at_ms', type: 'bigint', transformer: bigintAsNumber })
  ingestedAtMs!: number;

  /** Where the event was read on the raw topic (-1: not from the topic); see storeIdempotently. */
  @Column({ name: 'source_partition', type: 'int', default: -1 })
  sourcePartition!: number;

  @Column({ name: 'source_offset', type: 'bigint', default: -1, transformer: bigintAsNumber })
  sourceOffset!: number;
}
