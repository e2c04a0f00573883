module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'bundler',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
