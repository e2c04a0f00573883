export * from './item-retriever';
export * from './exact-item-retriever';
export * from './hnsw-item-retriever';
export * from './synthetic-vectors';
export * from './retrieval.config';
export * from './model-retrieval';
