// Service environments under property-based fuzzing (issue 13): for a config schema, env maps where
// each variable is unset, valid, deliberately invalid or arbitrary (plus stray variables), checked
// through the real loadConfig: it returns values of the declared types within their bounds, or throws
// one ConfigError listing every problem at once, each naming its variable, and every deliberately
// invalid variable among them. Used by env-config.fuzz.spec.ts and tools/bench/fuzz (every service's schema).
import * as fc from 'fast-check';
import { ConfigError, ConfigSchema, loadConfig } from '../env-config';

type FieldSpec = ConfigSchema[string];

export interface ConfigFuzzInput {
  readonly env: Readonly<Record<string, string>>;
  /** Variables given a value loadConfig must refuse. */
  readonly invalid: readonly string[];
  /** Variables given a value loadConfig must accept. */
  readonly valid: readonly string[];
}

const pad = (value: fc.Arbitrary<string>) => fc.tuple(fc.constantFrom('', ' ', '\t'), value, fc.constantFrom('', ' ', '\n')).map(([a, v, b]) => a + v + b);

function validValue(name: string, spec: FieldSpec): fc.Arbitrary<string> | undefined {
  switch (spec.type) {
    case 'string':
      // A file setting is valid empty or naming a readable file (this one's node binary always is).
      if (spec.file) return fc.constantFrom('', process.execPath);
      if (!spec.pattern) return fc.string({ maxLength: 40 }).filter((s) => s.trim() === s);
      return fc.stringMatching(spec.pattern, { size: 'small' }).filter((s) => s.trim() === s && s.length <= 200);
    case 'int': {
      const min = spec.min ?? -1_000_000;
      const max = spec.max ?? Math.max(min, 0) + 1_000_000;
      return pad(fc.integer({ min, max }).map(String));
    }
    case 'bool':
      return pad(fc.constantFrom('true', 'false', '1', '0', 'TRUE', 'False'));
    case 'enum':
      return pad(fc.constantFrom(...spec.values));
    case 'list':
      return fc.array(fc.stringMatching(/^[A-Za-z0-9.:_-]{1,12}$/), { minLength: 1, maxLength: 4 }).map((vs) => vs.join(', '));
    default:
      throw new Error(`${name}: unknown field type`);
  }
}

function invalidValue(spec: FieldSpec): fc.Arbitrary<string> | undefined {
  switch (spec.type) {
    case 'string': {
      if (spec.file) return fc.constantFrom('/nonexistent/recmesh-fuzz.pem', '/', 'relative/missing.pem');
      const pattern = spec.pattern;
      return pattern ? fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', ' ', 'x y', 'a:b:c', 'http://x')).filter((s) => !pattern.test(s.trim())) : undefined;
    }
    case 'int': {
      const outOfRange = [
        ...(spec.min !== undefined ? [fc.integer({ min: spec.min - 1_000_000, max: spec.min - 1 }).map(String)] : []),
        ...(spec.max !== undefined ? [fc.integer({ min: spec.max + 1, max: spec.max + 1_000_000 }).map(String)] : []),
      ];
      return fc.oneof(fc.constantFrom('1.5', 'abc', '1e3', '0x10', '99999999999999999999', '12abc', '--1', '+1', '١٢', 'NaN', 'Infinity'), ...outOfRange);
    }
    case 'bool':
      return fc.constantFrom('yes', 'no', 'on', '2', 'truthy', '-1');
    case 'enum':
      return fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '' && !spec.values.includes(s.trim()));
    case 'list':
      return fc.constantFrom(',', ' , ,', ',,,');
  }
}

/** Env maps for `schema`: every variable unset, valid, invalid or arbitrary; stray variables besides. */
export function configEnvs(schema: ConfigSchema): fc.Arbitrary<ConfigFuzzInput> {
  const entries = Object.entries(schema).map(([name, spec]) => {
    const choices: Array<{ arbitrary: fc.Arbitrary<{ name: string; value?: string; kind: 'unset' | 'valid' | 'invalid' | 'arbitrary' }>; weight: number }> = [
      { arbitrary: fc.constant({ name, kind: 'unset' as const }), weight: 6 },
      { arbitrary: fc.string({ maxLength: 24 }).map((value) => ({ name, value, kind: 'arbitrary' as const })), weight: 1 },
    ];
    const valid = validValue(name, spec);
    if (valid) choices.push({ arbitrary: valid.map((value) => ({ name, value, kind: 'valid' as const })), weight: 3 });
    const invalid = invalidValue(spec);
    if (invalid) choices.push({ arbitrary: invalid.map((value) => ({ name, value, kind: 'invalid' as const })), weight: 1 });
    return fc.oneof(...choices);
  });
  const stray = fc.dictionary(fc.string({ maxLength: 12 }).filter((k) => !(k in schema)), fc.string({ maxLength: 12 }), { maxKeys: 3 });
  return fc.tuple(fc.tuple(...entries), stray).map(([vars, extra]) => {
    const env: Record<string, string> = { ...extra };
    for (const v of vars) if (v.value !== undefined) env[v.name] = v.value;
    // A valid value left empty where another field makes it required must be refused after all.
    const missing = new Set(vars.filter((v) => v.kind === 'valid' && requiredButEmpty(schema, v.name, env)).map((v) => v.name));
    return {
      env,
      invalid: vars.filter((v) => v.kind === 'invalid' || missing.has(v.name)).map((v) => v.name),
      valid: vars.filter((v) => v.kind === 'valid' && !missing.has(v.name)).map((v) => v.name),
    };
  });
}

/** `name` is empty in `env` while its `requiredWhen` field loads (alone, through loadConfig) to another value than `isNot`. */
function requiredButEmpty(schema: ConfigSchema, name: string, env: Record<string, string>): boolean {
  const spec = schema[name];
  if (spec.type !== 'string' || !spec.requiredWhen || (env[name]?.trim() ?? spec.default ?? '') !== '') return false;
  const { field, isNot } = spec.requiredWhen;
  try {
    return loadConfig({ [field]: schema[field] }, env)[field] !== isNot;
  } catch {
    return false;
  }
}

function fail(problem: string): never {
  throw new Error(problem);
}

/** Checks one typed value against its spec (the config loadConfig returned). */
function checkValue(name: string, spec: FieldSpec, value: unknown): void {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string' || (spec.pattern && !spec.pattern.test(value))) fail(`${name}=${JSON.stringify(value)} was loaded`);
      break;
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) fail(`${name}=${String(value)} was loaded`);
      break;
    case 'bool':
      if (typeof value !== 'boolean') fail(`${name}=${String(value)} was loaded`);
      break;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) fail(`${name}=${String(value)} was loaded`);
      break;
    case 'list':
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) fail(`${name}=${JSON.stringify(value)} was loaded`);
      break;
  }
}

/**
 * loadConfig on one env map. Returns 'loaded' or `config_error:<type>` (the type of the first
 * variable named); throws if it threw anything but a ConfigError, missed a deliberately invalid
 * variable, refused a valid one, reported a problem naming no variable, or loaded a bad value.
 */
export function checkConfig(schema: ConfigSchema, input: ConfigFuzzInput): string {
  let config: Record<string, unknown>;
  try {
    config = loadConfig(schema, { ...input.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.problems.length === 0) fail('ConfigError without problems');
    const named = error.problems.map((p) => {
      const name = /^([A-Za-z_][A-Za-z0-9_]*)[= ]/.exec(p)?.[1];
      if (!name || !(name in schema)) fail(`problem names no variable of the schema: ${JSON.stringify(p)}`);
      return name;
    });
    if (new Set(named).size !== named.length) fail(`a variable is reported twice: ${named.join(', ')}`);
    const missed = input.invalid.filter((name) => !named.includes(name));
    if (missed.length > 0) fail(`invalid ${missed.join(', ')} not reported (reported: ${named.join(', ')})`);
    const refused = input.valid.filter((name) => named.includes(name));
    if (refused.length > 0) fail(`valid ${refused.map((n) => `${n}=${JSON.stringify(input.env[n])}`).join(', ')} refused`);
    if (!error.message.includes(error.problems[0])) fail('the message leaves out a problem');
    return `config_error:${schema[named[0]].type}`;
  }
  if (input.invalid.length > 0) fail(`loaded despite invalid ${input.invalid.join(', ')}`);
  for (const [name, spec] of Object.entries(schema)) checkValue(name, spec, config[name]);
  return 'loaded';
}
