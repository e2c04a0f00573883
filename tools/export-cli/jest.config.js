module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'export-cli',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
};
