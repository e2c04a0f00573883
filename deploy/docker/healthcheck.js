// HEALTHCHECK of the recmesh image: GET /health (liveness) on the HTTP port of
// the app $SERVICE runs, read from the same environment variable the app reads.
// Exit 0 when it answers 200, 1 otherwise (Docker's healthy / unhealthy).
'use strict';
const http = require('http');

/** SERVICE -> [the app's HTTP port variable, its default] (the apps' config schemas in libs/). */
const HTTP_PORTS = {
  ingest: ['INGEST_PORT', 3001],
  'feature-builder': ['FEATURE_BUILDER_PORT', 3002],
  scorer: ['SCORER_PORT', 3003],
  bundler: ['BUNDLER_PORT', 3004],
  feedback: ['FEEDBACK_PORT', 3005],
  gateway: ['GATEWAY_HTTP_PORT', 3006],
  trainer: ['TRAINER_PORT', 3007],
};

function check(env) {
  const entry = HTTP_PORTS[env.SERVICE || ''];
  if (!entry) {
    console.error(`healthcheck: unknown SERVICE ${JSON.stringify(env.SERVICE)}`);
    process.exit(1);
  }
  const port = Number(env[entry[0]] || entry[1]);
  const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 4000 }, (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  });
  req.on('timeout', () => req.destroy(new Error('timed out')));
  req.on('error', (e) => {
    console.error(`healthcheck: ${e.message}`);
    process.exit(1);
  });
}

if (require.main === module) check(process.env);

module.exports = { HTTP_PORTS };
