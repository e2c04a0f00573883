module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'synthetic-shop',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
