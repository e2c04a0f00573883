export * from './malformed-requests';
export * from './proto-loader-clients';
