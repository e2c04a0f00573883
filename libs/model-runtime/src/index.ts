export * from './model-load-error';
export * from './model-manifest';
export { ExecutionProvider, ModelRuntimeLogger, SessionFactory, SessionSettings } from './onnx-session';
export * from './exact-top-k';
export * from './item-catalog';
export * from './user-history';
export * from './wordpiece-tokenizer';
export * from './sentence-encoder';
export * from './sequential-recommender-model';
