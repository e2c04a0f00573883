import nx from '@nx/eslint-plugin';

// Architecture is enforced here: apps are thin wiring over libs, libs never
// import apps, and each lib may only reach the capabilities listed for it.
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/generated/**', 'tools/model/**', 'reports/**', '.nx/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:observability', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:service-config', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:messaging', onlyDependOnLibsWithTags: ['scope:observability'] },
            { sourceTag: 'scope:persistence', onlyDependOnLibsWithTags: ['scope:contracts'] },
            { sourceTag: 'scope:synthetic-shop', onlyDependOnLibsWithTags: ['scope:contracts'] },
            { sourceTag: 'scope:model-runtime', onlyDependOnLibsWithTags: [] },
            {
              sourceTag: 'scope:service-runtime',
              onlyDependOnLibsWithTags: ['scope:service-config', 'scope:observability', 'scope:messaging', 'scope:persistence'],
            },
            {
              sourceTag: 'scope:ingestion',
              onlyDependOnLibsWithTags: [
                'scope:contracts',
                'scope:messaging',
                'scope:persistence',
                'scope:observability',
                'scope:service-config',
                'scope:service-runtime',
              ],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
