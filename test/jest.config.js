// Cross-service integration tests: real Kafka broker and MariaDB (tools/infra/up.sh).
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testTimeout: 600_000,
  maxWorkers: 1,
};
