module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'feedback',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
