import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/**
 * Tables of the feedback service (attribution and online metrics). Money is
 * kept in integer hundredths of the shop's currency unit (`*_minor`), never
 * as a float sum.
 */

/** Clickstream events the feedback service has applied: redelivery of one of these changes nothing. */
@Entity({ name: 'feedback_applied_events' })
@Index('ix_feedback_applied_events_at', ['appliedAtMs'])
export class FeedbackAppliedEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 })
  eventId!: string;

  @Column({ name: 'applied_at_ms', type: 'bigint', transformer: bigintAsNumber })
  appliedAtMs!: number;
}

/** One list the gateway served (recmesh.recommendations.served.v1); its rec_id is also its claim. */
@Entity({ name: 'feedback_served_lists' })
@Index('ix_feedback_served_lists_ts', ['tsMs'])
@Index('ix_feedback_served_lists_user', ['userId'])
export class FeedbackServedListEntity {
  @PrimaryColumn({ name: 'rec_id', type: 'varchar', length: 128 })
  recId!: string;

  /** Empty when the caller did not say (SimilarItems without user_id). */
  @Column({ name: 'user_id', type: 'varchar', length: 128, default: '' })
  userId!: string;

  /** "recommend", "similar_items" or "bundle". */
  @Column({ type: 'varchar', length: 32 })
  surface!: string;

  @Column({ name: 'model_version', type: 'varchar', length: 128 })
  modelVersion!: string;

  @Column({ type: 'varchar', length: 64 })
  arm!: string;

  /** The A/B experiment the arm belongs to; empty outside experiments. */
  @Column({ type: 'varchar', length: 64, default: '' })
  experiment!: string;

  /** How long the gateway took to answer (0 when it did not say). */
  @Column({ name: 'latency_ms', type: 'int', default: 0 })
  latencyMs!: number;

  /** When it was served (gateway clock). */
  @Column({ name: 'ts_ms', type: 'bigint', transformer: bigintAsNumber })
  tsMs!: number;

  @Column({ name: 'item_count', type: 'int' })
  itemCount!: number;

  @Column({ name: 'received_at_ms', type: 'bigint', transformer: bigintAsNumber })
  receivedAtMs!: number;
}

/** The items of a served list with their 1-based positions; (user, item, time) finds view-through candidates. */
@Entity({ name: 'feedback_served_items' })
@Index('ix_feedback_served_items_user_item_ts', ['userId', 'itemId', 'tsMs'])
@Index('ix_feedback_served_items_ts', ['tsMs'])
export class FeedbackServedItemEntity {
  @PrimaryColumn({ name: 'rec_id', type: 'varchar', length: 128 })
  recId!: string;

  @PrimaryColumn({ type: 'int' })
  position!: number;

  @Column({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 128, default: '' })
  userId!: string;

  @Column({ name: 'ts_ms', type: 'bigint', transformer: bigintAsNumber })
  tsMs!: number;
}

/** An action attributed to a served list (by rec_id, or view-through). */
@Entity({ name: 'feedback_attributed_actions' })
@Index('ix_feedback_attributed_actions_rec', ['recId'])
@Index('ux_feedback_attributed_actions_once', ['onceKey'], { unique: true })
@Index('ix_feedback_attributed_actions_user', ['userId'])
@Index('ix_feedback_attributed_actions_ts', ['tsMs'])
export class FeedbackAttributedActionEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 })
  eventId!: string;

  @Column({ name: 'rec_id', type: 'varchar', length: 128 })
  recId!: string;

  /** recmesh.events.v1.Action number: click, add to cart or purchase. */
  @Column({ type: 'smallint' })
  action!: number;

  @Column({ type: 'int' })
  position!: number;

  @Column({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 128, default: '' })
  userId!: string;

  @Column({ type: 'int', default: 1 })
  quantity!: number;

  /** quantity x unit price, in hundredths of the currency unit; 0 for clicks and carts. */
  @Column({ name: 'revenue_minor', type: 'bigint', default: 0, transformer: bigintAsNumber })
  revenueMinor!: number;

  /** 1 = a purchase without rec_id matched to a list that showed the item to the same user. */
  @Column({ name: 'view_through', type: 'smallint', default: 0 })
  viewThrough!: number;

  /** Whether the item was outside the popularity head when the action was attributed. */
  @Column({ type: 'smallint', default: 0 })
  tail!: number;

  /** Event time of the action. */
  @Column({ name: 'ts_ms', type: 'bigint', transformer: bigintAsNumber })
  tsMs!: number;

  @Column({ name: 'served_ts_ms', type: 'bigint', transformer: bigintAsNumber })
  servedTsMs!: number;

  @Column({ name: 'attributed_at_ms', type: 'bigint', transformer: bigintAsNumber })
  attributedAtMs!: number;

  /** "rec_id|position|action" for actions counted once per shown item (clicks, carts); NULL for purchases. */
  @Column({ name: 'once_key', type: 'varchar', length: 160, nullable: true, default: null })
  onceKey!: string | null;
}

/**
 * An action that could not be attributed yet: its rec_id's list has not
 * arrived (rec_id set), or a purchase without rec_id has no served list
 * showing the item to the user yet (rec_id empty, a view-through candidate).
 * Attributed when the list arrives within the window; dropped after it.
 */
@Entity({ name: 'feedback_pending_actions' })
@Index('ix_feedback_pending_actions_rec', ['recId'])
@Index('ix_feedback_pending_actions_user_item', ['userId', 'itemId'])
@Index('ix_feedback_pending_actions_received', ['receivedAtMs'])
@Index('ix_feedback_pending_actions_ts', ['tsMs'])
export class FeedbackPendingActionEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 })
  eventId!: string;

  @Column({ name: 'rec_id', type: 'varchar', length: 128, default: '' })
  recId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @Column({ type: 'smallint' })
  action!: number;

  @Column({ type: 'int', default: 1 })
  quantity!: number;

  @Column({ name: 'revenue_minor', type: 'bigint', default: 0, transformer: bigintAsNumber })
  revenueMinor!: number;

  @Column({ name: 'ts_ms', type: 'bigint', transformer: bigintAsNumber })
  tsMs!: number;

  @Column({ name: 'received_at_ms', type: 'bigint', transformer: bigintAsNumber })
  receivedAtMs!: number;
}

/**
 * Online metrics per time bucket (by the time the list was served) x surface
 * x model version x experiment arm; every column is a sum, added to in the
 * same transaction as the claims that caused it.
 */
@Entity({ name: 'feedback_metric_buckets' })
export class FeedbackMetricBucketEntity {
  @PrimaryColumn({ name: 'bucket_start_ms', type: 'bigint', transformer: bigintAsNumber })
  bucketStartMs!: number;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  surface!: string;

  @PrimaryColumn({ name: 'model_version', type: 'varchar', length: 128 })
  modelVersion!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  arm!: string;

  /** Served lists. */
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  impressions!: number;

  /** Items in those lists. */
  @Column({ name: 'items_shown', type: 'bigint', default: 0, transformer: bigintAsNumber })
  itemsShown!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  clicks!: number;

  @Column({ name: 'add_to_carts', type: 'bigint', default: 0, transformer: bigintAsNumber })
  addToCarts!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  purchases!: number;

  @Column({ name: 'revenue_minor', type: 'bigint', default: 0, transformer: bigintAsNumber })
  revenueMinor!: number;

  /** Sum of the 1-based positions of the attributed clicks. */
  @Column({ name: 'position_sum', type: 'bigint', default: 0, transformer: bigintAsNumber })
  positionSum!: number;

  @Column({ name: 'tail_clicks', type: 'bigint', default: 0, transformer: bigintAsNumber })
  tailClicks!: number;

  @Column({ name: 'view_through_purchases', type: 'bigint', default: 0, transformer: bigintAsNumber })
  viewThroughPurchases!: number;

  @Column({ name: 'view_through_revenue_minor', type: 'bigint', default: 0, transformer: bigintAsNumber })
  viewThroughRevenueMinor!: number;
}
