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

  @Column({ type: 'smallint', default: 0 })
  forwarded!: number;
}
