import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/** Events feature-builder has applied: redelivery of one of these changes nothing. */
@Entity({ name: 'feature_applied_events' })
@Index('ix_feature_applied_events_at', ['appliedAtMs'])
export class FeatureAppliedEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 })
  eventId!: string;

  @Column({ name: 'applied_at_ms', type: 'bigint', transformer: bigintAsNumber })
  appliedAtMs!: number;
}

export interface SequenceStep {
  /** item id */
  readonly i: string;
  /** action number (recmesh.events.v1.Action) */
  readonly a: number;
  /** event time, ms */
  readonly t: number;
  /** session id */
  readonly s: string;
}

/** A user's most recent interactions, oldest first, bounded in length. */
@Entity({ name: 'user_sequences' })
@Index('ix_user_sequences_updated', ['updatedTsMs'])
export class UserSequenceEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ type: 'simple-json' })
  steps!: SequenceStep[];

  @Column({ name: 'updated_ts_ms', type: 'bigint', transformer: bigintAsNumber })
  updatedTsMs!: number;
}

/** Time-decayed popularity of an item: score decays by half every half-life. */
@Entity({ name: 'item_popularity' })
@Index('ix_item_popularity_category_score', ['leafCategory', 'score'])
@Index('ix_item_popularity_score', ['score'])
export class ItemPopularityEntity {
  @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  /** Value of the decayed score at reference_ts_ms. */
  @Column({ type: 'double' })
  score!: number;

  @Column({ name: 'reference_ts_ms', type: 'bigint', transformer: bigintAsNumber })
  referenceTsMs!: number;

  @Column({ type: 'int', default: 0 })
  interactions!: number;

  @Column({ name: 'leaf_category', type: 'varchar', length: 128, default: '' })
  leafCategory!: string;
}

/** How often two items were interacted with in one session, and bought in one order. */
@Entity({ name: 'item_pair_counts' })
@Index('ix_item_pair_counts_a_session', ['itemA', 'sessionCount'])
export class ItemPairCountEntity {
  @PrimaryColumn({ name: 'item_a', type: 'varchar', length: 128 })
  itemA!: string;

  @PrimaryColumn({ name: 'item_b', type: 'varchar', length: 128 })
  itemB!: string;

  @Column({ name: 'session_count', type: 'int', default: 0 })
  sessionCount!: number;

  @Column({ name: 'order_count', type: 'int', default: 0 })
  orderCount!: number;
}

/** Sentence embedding of an item's text (title + category + brand). */
@Entity({ name: 'item_text_embeddings' })
export class ItemTextEmbeddingEntity {
  @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  /** sha256 of the embedded text: unchanged text is not embedded again. */
  @Column({ name: 'text_sha256', type: 'varchar', length: 64 })
  textSha256!: string;

  @Column({ name: 'encoder', type: 'varchar', length: 64 })
  encoder!: string;

  /** float32 little-endian vector, base64. */
  @Column({ type: 'text' })
  vector!: string;

  @Column({ name: 'updated_ts_ms', type: 'bigint', transformer: bigintAsNumber })
  updatedTsMs!: number;
}
