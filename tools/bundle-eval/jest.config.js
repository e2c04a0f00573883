module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'bundle-eval',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
};
