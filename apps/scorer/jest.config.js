module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'scorer',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
