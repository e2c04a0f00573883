module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'experiment-stats',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // The simulations call Math millions of times; inside jest's vm sandbox each global lookup of Math
  // goes through an interceptor and costs ~100× more (jestjs/jest#5163) unless Math is injected.
  sandboxInjectedGlobals: ['Math'],
};
