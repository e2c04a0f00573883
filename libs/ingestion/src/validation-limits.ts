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
