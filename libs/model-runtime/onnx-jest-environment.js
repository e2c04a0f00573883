// Jest runs each test file in its own VM realm with its own typed-array constructors, but
// onnxruntime-node's native binding creates output buffers in Node's main realm; the
// `instanceof Float32Array` checks in onnxruntime-common then fail ("A float32 tensor's data must
// be type of function Float32Array()"). Sharing the main realm's constructors with the test realm
// fixes that. Any project whose tests run ONNX models through @recmesh/model-runtime needs this
// environment: testEnvironment: '<rootDir>/../model-runtime/onnx-jest-environment.js' (from a lib).
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OnnxJestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxJestEnvironment;
