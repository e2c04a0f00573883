export * from './gateway-fuzz';
