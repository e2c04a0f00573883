module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'attribution',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
