export * from './env-config';
export * from './popularity.config';
export * from './pseudonym';
