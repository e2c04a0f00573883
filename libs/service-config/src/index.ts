export * from './env-config';
export * from './data-plane-tls.config';
export * from './popularity.config';
export * from './pseudonym';
export * from './kafka-consumer.config';
