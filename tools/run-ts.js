#!/usr/bin/env node
// Runs a TypeScript entry point without a build step: swc transpiles on the fly
// (keeping decorator metadata for NestJS) and tsconfig paths resolve @recmesh/*.
const path = require('path');
const root = path.resolve(__dirname, '..');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(root, 'tsconfig.base.json');
process.env.TS_NODE_PROJECT = process.env.TS_NODE_PROJECT || path.join(root, 'tsconfig.base.json');
require('tsconfig-paths').register({
  baseUrl: root,
  paths: require(path.join(root, 'tsconfig.base.json')).compilerOptions.paths,
});
require('@swc-node/register');
require('reflect-metadata');
const entry = process.argv[2];
if (!entry) {
  console.error('usage: node tools/run-ts.js <entry.ts> [args...]');
  process.exit(2);
}
process.argv.splice(1, 1);
require(path.resolve(entry));
