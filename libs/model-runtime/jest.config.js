module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'model-runtime',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // onnxruntime-node returns typed arrays from Node's main realm: see the file for why.
  testEnvironment: '<rootDir>/onnx-jest-environment.js',
  globalSetup: '<rootDir>/jest.global-setup.ts',
};
