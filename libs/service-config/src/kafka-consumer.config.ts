import type { ConfigSchema } from './env-config';

/**
 * Guards of the services whose work is consuming Kafka (ingest, feature-builder, feedback)
 * against a batch that never finishes after a broker restart. Other services use the bus's
 * defaults (the same values).
 */
export const KafkaConsumerConfigSchema = {
  KAFKA_OPERATION_TIMEOUT_SECONDS: {
    type: 'int',
    default: 60,
    min: 0,
    max: 3600,
    description: 'kafka-mysql: longest a publish, producer connect or offset commit may take before it fails and the batch is redelivered (0 = no limit)',
  },
  KAFKA_STALL_SECONDS: {
    type: 'int',
    default: 120,
    min: 0,
    max: 86400,
    description: 'kafka-mysql: a consumer whose own partition has lag and an unmoved committed offset for this long logs a WARN, says not ready and is restarted (0 = off)',
  },
} as const satisfies ConfigSchema;
