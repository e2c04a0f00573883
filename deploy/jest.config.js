// Static checks of the monitoring config in deploy/ (Prometheus rules and
// config, Grafana dashboard, runbooks). No infra needed, but promtool is: on
// PATH or named by $PROMTOOL, else the promtool tests fail. Install it with
// `bash tools/infra/promtool.sh ensure` (Debian's prometheus package).
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'deploy',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testTimeout: 60_000,
};
