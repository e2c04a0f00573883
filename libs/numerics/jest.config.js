module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'numerics',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
