module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'vector-retrieval',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // onnxruntime-node returns typed arrays from Node's main realm (see libs/model-runtime).
  testEnvironment: '<rootDir>/../model-runtime/onnx-jest-environment.js',
};
