// Test helpers of model-runtime for other projects' specs, tests and benches
// (@recmesh/model-runtime/testing): fake model directories and the ONNX writer
// they are written with, the Python-exported reference fixtures, temporary
// folders and a recording logger. Not for serving code.
export * from './fake-model-dir';
export * from './reference-fixtures';
export * from './temp-dirs';
export * from '../onnx-graph-writer';
export * from './model-fuzz';
export * from './machine-cuda';
