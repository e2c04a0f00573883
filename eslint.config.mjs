import nx from '@nx/eslint-plugin';

// Architecture is enforced here: apps are thin wiring over libs, libs never
// import apps, and each lib may only reach the capabilities listed for it.
const libScopes = {
  contracts: [],
  observability: [],
  'service-config': [],
  'model-runtime': [],
  messaging: ['observability'],
  persistence: ['contracts'],
  'synthetic-shop': ['contracts'],
  'service-runtime': ['service-config', 'observability', 'messaging', 'persistence'],
  scoring: ['contracts', 'model-runtime', 'persistence', 'observability', 'service-config', 'service-runtime'],
  features: ['contracts', 'messaging', 'persistence', 'observability', 'service-config', 'service-runtime', 'model-runtime'],
  ingestion: ['contracts', 'messaging', 'persistence', 'observability', 'service-config', 'service-runtime'],
  bundling: [],
  'bundle-service': ['contracts', 'bundling', 'scoring', 'model-runtime', 'persistence', 'observability', 'service-config', 'service-runtime'],
  'gateway-api': ['contracts', 'messaging', 'observability', 'service-config', 'service-runtime', 'scoring', 'bundle-service'],
};

/** Tests may also use the synthetic shop as a fixture generator and run ingest upstream of what they test. */
function depConstraints({ forTests }) {
  return [
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib'] },
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
