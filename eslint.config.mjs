import nx from '@nx/eslint-plugin';

// Architecture is enforced here: apps are thin wiring over libs, libs never
// import apps, and each lib may only reach the capabilities listed for it.
const libScopes = {
  contracts: ['numerics'],
  observability: [],
  'service-config': [],
  'model-runtime': ['numerics'],
  messaging: ['observability'],
  persistence: ['contracts'],
  'synthetic-shop': ['contracts', 'numerics'],
  'service-runtime': ['service-config', 'observability', 'messaging', 'persistence'],
  // The serving row: scorer, bundler and gateway sit side by side on serving-core and never import each other.
  'serving-core': ['contracts', 'messaging', 'model-runtime', 'persistence', 'observability', 'service-config'],
  // Item retrieval behind one interface: exact (the model-runtime kernel) or approximate (HNSW), chosen by config.
  'vector-retrieval': ['model-runtime', 'numerics', 'service-config'],
  scoring: ['contracts', 'serving-core', 'model-runtime', 'persistence', 'observability', 'service-config', 'service-runtime', 'vector-retrieval'],
  features: ['contracts', 'messaging', 'persistence', 'observability', 'service-config', 'service-runtime', 'model-runtime'],
  ingestion: ['contracts', 'messaging', 'persistence', 'observability', 'service-config', 'service-runtime'],
  bundling: ['numerics'],
  'bundle-service': ['contracts', 'serving-core', 'bundling', 'model-runtime', 'messaging', 'persistence', 'observability', 'service-config', 'service-runtime', 'vector-retrieval'],
  'gateway-api': ['contracts', 'serving-core', 'messaging', 'observability', 'service-config', 'service-runtime'],
  // Retraining on the shop's own data: the promotion gate over the model registry (the trainer job grows here).
  training: ['bundling', 'contracts', 'experiment-stats', 'experiments', 'model-runtime', 'serving-core', 'numerics', 'observability', 'persistence', 'service-config', 'service-runtime'],
  models: ['model-runtime', 'persistence', 'service-config'],
  // The shop's own data to the trainer's dataset format (the store's read-only export pages; category labels as serving writes them).
  'dataset-export': ['contracts', 'persistence', 'model-runtime'],
  // Shared numerics (seeded randomness, Cholesky, randomized SVD, the listwise softmax fit, ranking metrics): a leaf.
  numerics: [],
  // A/B experiment statistics (anytime-valid confidence sequences, SRM, CUPED, verdicts): pure, over numerics.
  'experiment-stats': ['numerics'],
  // A/B experiments: definitions, deterministic arm assignment, the experiment store and results.
  experiments: ['contracts', 'experiment-stats', 'numerics', 'persistence', 'serving-core', 'observability', 'service-config', 'service-runtime'],
  // Attribution and online metrics of the feedback service (serves apps/feedback).
  attribution: ['contracts', 'messaging', 'persistence', 'observability', 'service-config', 'service-runtime'],
  // The demo storefront (/shop): its JSON API over the gateway in process and the catalog store; the page itself is client/ (Preact, bundled at start).
  storefront: ['contracts', 'gateway-api', 'serving-core', 'persistence', 'service-config', 'service-runtime'],
  // The operations page (/ops): online metrics, experiments, model registry and ingest health of the process; the page itself is client/ (Preact, bundled at start).
  'operations-page': ['contracts', 'experiments', 'persistence', 'observability', 'service-runtime'],
  // Privacy requests: erasing a user from every table and telling every service to forget them (apps/feedback hosts the admin API).
  privacy: ['contracts', 'messaging', 'persistence', 'serving-core', 'observability', 'service-config', 'service-runtime'],
  // Tools (type:tool) are linted like the libs: the offline bundle evaluation and the benches, each with the libs it uses.
  'bundle-eval': ['bundling', 'numerics', 'model-runtime', 'synthetic-shop', 'training'],
  // bench-fuzz loads every service's config schema, hence the service libs.
  bench: ['contracts', 'synthetic-shop', 'bundling', 'numerics', 'gateway-api', 'messaging', 'model-runtime', 'persistence', 'scoring', 'serving-core', 'training', 'dataset-export',
    'ingestion', 'service-config', 'attribution', 'bundle-service', 'experiments', 'features', 'privacy', 'storefront', 'vector-retrieval'],
  'export-cli': ['dataset-export', 'persistence', 'service-config'],
  // API keys with scopes, gRPC TLS/mTLS and the bind policy (every app with a port wires it; the keys CLI mints keys).
  'access-control': ['contracts', 'service-config'],
  keys: ['access-control'],
};

/** Tests may also use the synthetic shop as a fixture generator and run ingest upstream of what they test. */
function depConstraints({ forTests }) {
  return [
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'], notDependOnLibsWithTags: ['type:app'] },
    ...Object.entries(libScopes).map(([scope, allowed]) => ({
      sourceTag: `scope:${scope}`,
      onlyDependOnLibsWithTags: [...allowed, ...(forTests ? ['synthetic-shop', 'ingestion'] : [])].map((s) => `scope:${s}`),
    })),
  ];
}

const boundaries = (forTests) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints: depConstraints({ forTests }) },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/generated/**', 'tools/model/**', 'reports/**', '.nx/**', 'tmp/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(true),
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
