module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cuda-tools',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testTimeout: 120_000,
};
