export * from './csv';
export * from './export-shop-dataset';
