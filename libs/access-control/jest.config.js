module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'access-control',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
