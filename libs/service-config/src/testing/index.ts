export * from './config-fuzz';
