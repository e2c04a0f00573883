module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'dataset-export',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
