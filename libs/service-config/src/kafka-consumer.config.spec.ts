import { ConfigError, loadConfig } from './env-config';
import { KafkaConsumerConfigSchema } from './kafka-consumer.config';

describe('KafkaConsumerConfigSchema', () => {
  it('defaults to a 60 s operation timeout and a 120 s stall limit, and takes 0 for off', () => {
    expect(loadConfig(KafkaConsumerConfigSchema, {})).toEqual({ KAFKA_OPERATION_TIMEOUT_SECONDS: 60, KAFKA_STALL_SECONDS: 120 });
    expect(loadConfig(KafkaConsumerConfigSchema, { KAFKA_OPERATION_TIMEOUT_SECONDS: '0', KAFKA_STALL_SECONDS: '0' })).toEqual({ KAFKA_OPERATION_TIMEOUT_SECONDS: 0, KAFKA_STALL_SECONDS: 0 });
  });

  it('refuses negative and non-integer values, naming both at once', () => {
    let error: unknown;
    try {
      loadConfig(KafkaConsumerConfigSchema, { KAFKA_OPERATION_TIMEOUT_SECONDS: '-1', KAFKA_STALL_SECONDS: '2m' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^KAFKA_OPERATION_TIMEOUT_SECONDS=-1 is below the minimum 0/);
    expect(problems[1]).toMatch(/^KAFKA_STALL_SECONDS="2m" is not an integer/);
  });
});
