export * from './message-bus';
export * from './broker-health';
export * from './kafka-message-bus';
export * from './in-memory-message-bus';
export * from './consumer-worker';
