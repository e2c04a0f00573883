import type { Config, ConfigSchema } from './env-config';

/**
 * TLS and SASL towards Kafka, TLS towards MySQL/MariaDB (kafka-mysql profile).
 * Files are PEM and are checked for readability at start-up; TLS is off unless
 * KAFKA_SSL / MYSQL_SSL say otherwise, so the local default keeps working.
 */
export const DataPlaneTlsConfigSchema = {
  KAFKA_SSL: { type: 'bool', default: false, description: 'connect to the Kafka brokers over TLS (the KAFKA_SSL_* files apply only then)' },
  KAFKA_SSL_CA_FILE: { type: 'string', default: '', file: true, description: 'PEM file of the CA(s) that signed the brokers\' certificates; empty = the system CAs' },
  KAFKA_SSL_CERT_FILE: {
    type: 'string',
    default: '',
    file: true,
    requiredWhen: { field: 'KAFKA_SSL_KEY_FILE', isNot: '' },
    description: 'PEM client certificate for brokers that require one (with KAFKA_SSL_KEY_FILE)',
  },
  KAFKA_SSL_KEY_FILE: {
    type: 'string',
    default: '',
    file: true,
    requiredWhen: { field: 'KAFKA_SSL_CERT_FILE', isNot: '' },
    description: 'PEM private key of KAFKA_SSL_CERT_FILE',
  },
  KAFKA_SSL_REJECT_UNAUTHORIZED: { type: 'bool', default: true, description: 'refuse brokers whose certificate does not verify (false only for a test broker)' },
  KAFKA_SASL_MECHANISM: {
    type: 'enum',
    values: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'],
    default: 'none',
    description: 'SASL authentication towards Kafka (plain only over TLS, it sends the password as it is)',
  },
  KAFKA_SASL_USERNAME: { type: 'string', default: '', requiredWhen: { field: 'KAFKA_SASL_MECHANISM', isNot: 'none' }, description: 'SASL user name' },
  KAFKA_SASL_PASSWORD: { type: 'string', default: '', secret: true, requiredWhen: { field: 'KAFKA_SASL_MECHANISM', isNot: 'none' }, description: 'SASL password' },
  MYSQL_SSL: { type: 'bool', default: false, description: 'connect to MySQL/MariaDB over TLS (the MYSQL_SSL_* files apply only then)' },
  MYSQL_SSL_CA_FILE: { type: 'string', default: '', file: true, description: 'PEM file of the CA(s) that signed the database server\'s certificate; empty = the system CAs' },
  MYSQL_SSL_CERT_FILE: {
    type: 'string',
    default: '',
    file: true,
    requiredWhen: { field: 'MYSQL_SSL_KEY_FILE', isNot: '' },
    description: 'PEM client certificate for a user created REQUIRE X509 (with MYSQL_SSL_KEY_FILE)',
  },
  MYSQL_SSL_KEY_FILE: {
    type: 'string',
    default: '',
    file: true,
    requiredWhen: { field: 'MYSQL_SSL_CERT_FILE', isNot: '' },
    description: 'PEM private key of MYSQL_SSL_CERT_FILE',
  },
  MYSQL_SSL_REJECT_UNAUTHORIZED: { type: 'bool', default: true, description: 'refuse a database server whose certificate does not verify (false only for a test server)' },
} as const satisfies ConfigSchema;

/** The settings above as loaded; absent (a caller that never loaded them) = off. */
export type DataPlaneTlsConfig = Partial<Config<typeof DataPlaneTlsConfigSchema>>;

/** Kafka TLS/SASL as @recmesh/messaging's kafkaSecurityOptions takes it; undefined = plaintext, no SASL. */
export function kafkaSecurityFromConfig(config: DataPlaneTlsConfig) {
  const mechanism = config.KAFKA_SASL_MECHANISM ?? 'none';
  if (!config.KAFKA_SSL && mechanism === 'none') return undefined;
  return {
    ssl: config.KAFKA_SSL ?? false,
    caFile: config.KAFKA_SSL_CA_FILE || undefined,
    certFile: config.KAFKA_SSL_CERT_FILE || undefined,
    keyFile: config.KAFKA_SSL_KEY_FILE || undefined,
    rejectUnauthorized: config.KAFKA_SSL_REJECT_UNAUTHORIZED ?? true,
    sasl: mechanism === 'none' ? undefined : { mechanism, username: config.KAFKA_SASL_USERNAME ?? '', password: config.KAFKA_SASL_PASSWORD ?? '' },
  };
}

/** MySQL TLS as @recmesh/persistence's StoreProfile takes it; undefined = plain TCP. */
export function mysqlTlsFromConfig(config: DataPlaneTlsConfig) {
  if (!config.MYSQL_SSL) return undefined;
  return {
    caFile: config.MYSQL_SSL_CA_FILE || undefined,
    certFile: config.MYSQL_SSL_CERT_FILE || undefined,
    keyFile: config.MYSQL_SSL_KEY_FILE || undefined,
    rejectUnauthorized: config.MYSQL_SSL_REJECT_UNAUTHORIZED ?? true,
  };
}
