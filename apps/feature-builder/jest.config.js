module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'feature-builder',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
