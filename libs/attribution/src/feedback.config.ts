import { CommonConfigSchema, ConfigSchema, KafkaConsumerConfigSchema, PopularityConfigSchema, PseudonymConfigSchema } from '@recmesh/service-config';

export const FeedbackConfigSchema = {
  ...CommonConfigSchema,
  ...PopularityConfigSchema,
  ...PseudonymConfigSchema,
  ...KafkaConsumerConfigSchema,
  FEEDBACK_PORT: { type: 'int', default: 3005, min: 1, max: 65535, description: 'HTTP port for /health, /ready, /metrics' },
  FEEDBACK_GROUP_ID: { type: 'string', default: 'recmesh-feedback', description: 'consumer group shared by all feedback instances' },
  FEEDBACK_MAX_BATCH: { type: 'int', default: 500, min: 1, max: 10_000, description: 'records per attribution transaction' },
  FEEDBACK_ATTRIBUTION_WINDOW_MINUTES: {
    type: 'int', default: 1440, min: 1, max: 43_200,
    description: 'an action counts for a served list up to this long after the list was served; actions waiting for their list are dropped after it',
  },
  FEEDBACK_CLOCK_SKEW_SECONDS: {
    type: 'int', default: 300, min: 0, max: 3600,
    description: "an action timestamped up to this long before its list still counts (storefront and gateway clocks differ)",
  },
  FEEDBACK_BUCKET_MINUTES: { type: 'int', default: 5, min: 1, max: 1440, description: 'width of the metric buckets in feedback_metric_buckets (aligned to the Unix epoch)' },
  FEEDBACK_CACHE_LISTS: { type: 'int', default: 10_000, min: 0, max: 1_000_000, description: 'served lists kept in memory in front of the store (least recently used dropped)' },
  FEEDBACK_SWEEP_SECONDS: { type: 'int', default: 5, min: 1, max: 3600, description: 'how often late lists are matched to waiting actions, expired ones dropped and the pending gauge updated' },
  FEEDBACK_HEAD_REFRESH_SECONDS: { type: 'int', default: 300, min: 1, max: 86_400, description: 'how often the popularity head (top 20% of items) is re-read' },
  FEEDBACK_CURRENCY: {
    type: 'string', default: '', pattern: /^([A-Z]{3})?$/,
    description: 'ISO 4217 code: only purchases in it (or without one) count as revenue; empty = every price counts (a one-currency shop)',
  },
} as const satisfies ConfigSchema;
