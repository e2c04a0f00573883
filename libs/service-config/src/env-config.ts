import * as fs from 'fs';
import { DataPlaneTlsConfigSchema } from './data-plane-tls.config';

/**
 * Typed configuration from environment variables, validated once at start-up.
 * Every problem is reported in one error so an operator fixes them in one go.
 */
type FieldSpec =
  /**
   * `secret`: the value never appears in a message (keys, URLs with passwords).
   * `file`: a non-empty value must name a readable file (certificates: a typo fails at start-up, not at the first TLS handshake).
   * `requiredWhen`: must be non-empty when another field's loaded value is not `isNot` (a SASL password once a mechanism is chosen).
   */
  | { type: 'string'; default?: string; description: string; pattern?: RegExp; secret?: boolean; file?: boolean; requiredWhen?: { readonly field: string; readonly isNot: string } }
  | { type: 'int'; default?: number; description: string; min?: number; max?: number }
  | { type: 'bool'; default?: boolean; description: string }
  | { type: 'enum'; values: readonly string[]; default?: string; description: string }
  | { type: 'list'; default?: readonly string[]; description: string };

export type ConfigSchema = Record<string, FieldSpec>;

type ValueOf<F extends FieldSpec> = F extends { type: 'int' }
  ? number
  : F extends { type: 'bool' }
    ? boolean
    : F extends { type: 'list' }
      ? string[]
      : F extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : string;

export type Config<S extends ConfigSchema> = { readonly [K in keyof S]: ValueOf<S[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends ConfigSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): Config<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const raw = env[name]?.trim();
    // Unset (or blank, for non-strings) takes the default; a string set to "" means empty, e.g. BUNDLER_ADDRESS= for "no bundler".
    if (raw === undefined || (raw === '' && spec.type !== 'string')) {
      if (spec.default === undefined) problems.push(`${name} is required (${spec.description})`);
      else out[name] = spec.type === 'list' ? [...spec.default] : spec.default;
      continue;
    }
    switch (spec.type) {
      case 'string':
        if (spec.pattern && !spec.pattern.test(raw)) problems.push(`${name}=${spec.secret ? `<secret, ${raw.length} characters>` : JSON.stringify(raw)} does not match ${spec.secret ? 'its format' : spec.pattern} (${spec.description})`);
        else if (spec.file && raw !== '' && unreadable(raw)) problems.push(`${name}=${JSON.stringify(raw)} cannot be read: ${unreadable(raw)} (${spec.description})`);
        else out[name] = raw;
        break;
      case 'int': {
        const n = Number(raw);
        if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) problems.push(`${name}=${JSON.stringify(raw)} is not an integer (${spec.description})`);
        else if (spec.min !== undefined && n < spec.min) problems.push(`${name}=${n} is below the minimum ${spec.min}`);
        else if (spec.max !== undefined && n > spec.max) problems.push(`${name}=${n} is above the maximum ${spec.max}`);
        else out[name] = n;
        break;
      }
      case 'bool':
        if (!['true', 'false', '1', '0'].includes(raw.toLowerCase())) problems.push(`${name}=${JSON.stringify(raw)} must be true or false`);
        else out[name] = ['true', '1'].includes(raw.toLowerCase());
        break;
      case 'enum':
        if (!spec.values.includes(raw)) problems.push(`${name}=${JSON.stringify(raw)} must be one of ${spec.values.join(', ')}`);
        else out[name] = raw;
        break;
      case 'list':
        out[name] = raw.split(',').map((s) => s.trim()).filter(Boolean);
        if ((out[name] as string[]).length === 0) problems.push(`${name} must list at least one value`);
        break;
    }
  }
  // Only between fields that loaded: a bad value is reported once, as itself.
  for (const [name, spec] of Object.entries(schema)) {
    if (spec.type !== 'string' || !spec.requiredWhen || out[name] !== '') continue;
    const { field, isNot } = spec.requiredWhen;
    if (field in out && out[field] !== isNot) problems.push(`${name} is required when ${field} is ${isNot === '' ? 'set' : `not ${isNot}`} (${spec.description})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Config<S>;
}

/** Why `file` cannot be read, or undefined when it can. */
function unreadable(file: string): string | undefined {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile() ? undefined : 'not a regular file';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** Settings shared by every service: where it listens and which profile it runs. */
export const CommonConfigSchema = {
  RECMESH_PROFILE: {
    type: 'enum',
    values: ['embedded', 'kafka-mysql'],
    default: 'embedded',
    description: 'embedded = in-process bus + embedded SQL; kafka-mysql = Kafka brokers + MySQL/MariaDB',
  },
  KAFKA_BROKERS: { type: 'list', default: ['127.0.0.1:9092'], description: 'comma-separated host:port list (kafka-mysql profile)' },
  MYSQL_URL: {
    type: 'string',
    default: 'mariadb://recmesh:recmesh@127.0.0.1:3306/recmesh',
    pattern: /^(mysql|mariadb):\/\/.+/,
    secret: true,
    description: 'mariadb://user:password@host:port/database, or mysql://... for MySQL (kafka-mysql profile)',
  },
  RECMESH_DATA_DIR: {
    type: 'string',
    default: '.recmesh-data',
    pattern: /^(:memory:|[^\0]+)$/,
    description: 'embedded profile: directory of the durable bus and the store (a subdirectory per service); :memory: keeps nothing on disk',
  },
  EMBEDDED_DB_FILE: { type: 'string', default: '', description: 'embedded store file instead of <RECMESH_DATA_DIR>/<service>/store.sqlite' },
  RECMESH_BUS_RETENTION_HOURS: {
    type: 'int',
    default: 24,
    min: 0,
    max: 8760,
    description: 'embedded bus: hours a log segment every consumer group has read stays on disk (0 = deleted once read)',
  },
  RECMESH_BUS_SEGMENT_MB: { type: 'int', default: 64, min: 1, max: 1024, description: 'embedded bus: size at which a log segment file closes (only closed segments are deleted)' },
  RECMESH_TOPIC_PREFIX: {
    type: 'string',
    default: '',
    pattern: /^[A-Za-z0-9._-]*$/,
    description: 'prefix for every topic name, to share one Kafka cluster between deployments',
  },
  LOG_LEVEL: { type: 'enum', values: ['error', 'warn', 'info', 'debug'], default: 'info', description: 'log verbosity' },
  ...DataPlaneTlsConfigSchema,
} as const satisfies ConfigSchema;
