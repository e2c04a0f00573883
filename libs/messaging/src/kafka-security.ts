import * as fs from 'fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

/** How a client reaches brokers that want TLS and/or SASL (from KAFKA_SSL* and KAFKA_SASL_*). */
export interface KafkaSecuritySettings {
  readonly ssl: boolean;
  /** PEM files; empty or absent = none (the system CAs, no client certificate). */
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly rejectUnauthorized: boolean;
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string };
}

/** The kafkajs `ssl` and `sasl` options; files are read here, once, so a client never rereads them per connection. */
export function kafkaSecurityOptions(settings: KafkaSecuritySettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (settings.ssl) {
    options.ssl = {
      rejectUnauthorized: settings.rejectUnauthorized,
      ...(settings.caFile ? { ca: [fs.readFileSync(settings.caFile, 'utf8')] } : {}),
      ...(settings.certFile ? { cert: fs.readFileSync(settings.certFile, 'utf8') } : {}),
      ...(settings.keyFile ? { key: fs.readFileSync(settings.keyFile, 'utf8') } : {}),
    };
  }
  if (settings.sasl) {
    const { mechanism, username, password } = settings.sasl;
    // One object per mechanism: kafkajs types SASLOptions as a union keyed on it.
    options.sasl = { mechanism, username, password } as SASLOptions;
  }
  return options;
}

/** What a log line may say about the settings: never the password. */
export function describeKafkaSecurity(settings: KafkaSecuritySettings | undefined): string {
  if (!settings) return 'plaintext';
  const tls = settings.ssl ? `TLS${settings.rejectUnauthorized ? '' : ' (certificates not verified)'}${settings.certFile ? ' with client certificate' : ''}` : 'no TLS';
  return settings.sasl ? `${tls}, SASL ${settings.sasl.mechanism} as ${settings.sasl.username}` : tls;
}
