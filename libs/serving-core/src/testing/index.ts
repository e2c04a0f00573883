export * from './request-fuzz';
