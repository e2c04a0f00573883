export * from './popularity-arithmetic';
