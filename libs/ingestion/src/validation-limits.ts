/** Bounds every raw message must respect; all configurable per deployment. */
export interface ValidationLimits {
  /** Larger raw messages are dead-lettered unread. */
  readonly maxMessageBytes: number;
  /** Events older than this (vs. the ingest clock) are refused. */
  readonly maxEventAgeMs: number;
  /** Events further in the future than this (clock skew) are refused. */
  readonly maxFutureSkewMs: number;
}

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = {
  maxMessageBytes: 64 * 1024,
  maxEventAgeMs: 30 * 24 * 3600 * 1000,
  maxFutureSkewMs: 5 * 60 * 1000,
};

export const MAX_ID_LENGTH = 128;
export const MAX_PRICE = 1e9;
export const MAX_QUANTITY = 10_000;

/**
 * Bytes a MySQL TEXT column holds (clickstream_events.context, catalog_events.payload): an event
 * whose stored JSON is larger cannot be stored, so it is refused here instead of failing its batch
 * on every redelivery. JSON escaping can make the stored text six times the raw bytes (a control
 * character is one byte in protobuf, "\u0001" in JSON), so the raw size limit does not bound it.
 */
export const MAX_STORED_TEXT_BYTES = 65_535;
