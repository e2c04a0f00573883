export * from './adaptive-limiter';
export * from './admission-metrics';
export * from './admission.config';
