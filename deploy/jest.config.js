// Static checks of the monitoring config in deploy/ (Prometheus rules and
// config, Grafana dashboard, runbooks). No infra needed; runs promtool when
// it is on PATH (Debian: apt-get install prometheus) or named by $PROMTOOL.
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'deploy',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testTimeout: 60_000,
};
