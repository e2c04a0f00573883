module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'operations-page',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
