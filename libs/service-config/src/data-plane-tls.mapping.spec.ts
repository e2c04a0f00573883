import { CommonConfigSchema, loadConfig } from './env-config';
import { kafkaSecurityFromConfig, mysqlTlsFromConfig } from './data-plane-tls.config';

describe('data-plane security from the loaded settings', () => {
  it('is off by default', () => {
    const config = loadConfig(CommonConfigSchema, {});
    expect(kafkaSecurityFromConfig(config)).toBeUndefined();
    expect(mysqlTlsFromConfig(config)).toBeUndefined();
  });

  it('maps TLS and SASL settings, empty file settings to none', () => {
    const config = loadConfig(CommonConfigSchema, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: __filename,
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'pw',
      MYSQL_SSL: 'true',
      MYSQL_SSL_CA_FILE: __filename,
    });
    expect(kafkaSecurityFromConfig(config)).toEqual({
      ssl: true,
      caFile: __filename,
      certFile: undefined,
      keyFile: undefined,
      rejectUnauthorized: false,
      sasl: { mechanism: 'plain', username: 'svc', password: 'pw' },
    });
    expect(mysqlTlsFromConfig(config)).toEqual({ caFile: __filename, certFile: undefined, keyFile: undefined, rejectUnauthorized: true });
  });

  it('keeps SASL without TLS (SASL_PLAINTEXT listeners) and TLS without SASL apart', () => {
    const saslOnly = loadConfig(CommonConfigSchema, { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    expect(kafkaSecurityFromConfig(saslOnly)).toMatchObject({ ssl: false, sasl: { mechanism: 'scram-sha-256' } });
    expect(kafkaSecurityFromConfig(loadConfig(CommonConfigSchema, { KAFKA_SSL: '1' }))).toMatchObject({ ssl: true, rejectUnauthorized: true, sasl: undefined });
  });
});
