import * as fc from 'fast-check';
import { DataPlaneTlsConfigSchema } from './data-plane-tls.config';
import { CommonConfigSchema, ConfigSchema } from './env-config';
import { PopularityConfigSchema } from './popularity.config';
import { checkConfig, configEnvs } from './testing';

// Environments under fuzzing (issue 13): each variable unset, valid, invalid or arbitrary, through the
// real loadConfig. It loads values of the declared types within bounds, or throws one ConfigError
// naming every bad variable at once, never anything else, never a valid one. Every service's own
// schema is fuzzed by `npm run bench:fuzz` (100,000+ env maps each).
const RUNS = 2000;
const BUDGET_MS = 50;

/** Every kind of field, required ones included (no service has one today). */
const EveryKindSchema = {
  ...CommonConfigSchema,
  ...PopularityConfigSchema,
  REQUIRED_INT: { type: 'int', min: -5, max: 5, description: 'required, bounded' },
  REQUIRED_STRING: { type: 'string', pattern: /^[a-z]+:\d+$/, description: 'required host:port' },
  OPTIONAL_BOOL: { type: 'bool', default: false, description: 'a flag' },
  REQUIRED_LIST: { type: 'list', description: 'required list' },
  UNBOUNDED_INT: { type: 'int', default: 0, description: 'no bounds' },
} as const satisfies ConfigSchema;

describe.each<[string, ConfigSchema]>([
  ['the common and popularity settings', { ...CommonConfigSchema, ...PopularityConfigSchema }],
  ['a schema with every kind of field', EveryKindSchema],
  ['the Kafka and MySQL TLS settings (files, fields required by others)', DataPlaneTlsConfigSchema],
])('loadConfig of %s under fuzzing', (_name, schema) => {
  it(`loads or refuses ${RUNS} generated environments, naming every bad variable at once`, () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(configEnvs(schema), (input) => {
        const started = performance.now();
        const outcome = checkConfig(schema, input);
        if (performance.now() - started > BUDGET_MS) throw new Error(`loadConfig took over ${BUDGET_MS} ms`);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: RUNS, seed: 1306 },
    );
    // Each variable spoils ~2 in 11 maps (invalid or arbitrary): with the TLS settings (27 variables) ~1% load all valid.
    expect(outcomes.get('loaded') ?? 0).toBeGreaterThan(schema === EveryKindSchema ? 0 : RUNS / 200);
    expect([...outcomes.keys()].filter((o) => o.startsWith('config_error:')).length).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
