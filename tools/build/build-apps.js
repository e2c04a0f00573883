#!/usr/bin/env node
// Production build: every apps/<app>/src/main.ts -> dist/apps/<app>/main.js (+ main.js.map), started
// with plain `node dist/apps/<app>/main.js` from the repository root (or an image laid out like it).
//
// esbuild bundles each app with the @recmesh/* libs it imports (tsconfig paths) and leaves every
// node_modules package external (NestJS, typeorm, kafkajs, onnxruntime-node, better-sqlite3, grpc-js, ...).
// Two things esbuild alone would get wrong, both handled by the plugin below:
//  - NestJS injects by constructor-parameter types (`design:paramtypes`), which esbuild never emits.
//    Files with decorators go through swc first, with the options tools/run-ts.js (@swc-node/register)
//    and jest.preset.js use (legacy decorators + decorator metadata), so the build runs the same code.
//  - `__dirname` in a bundle is dist/apps/<app>. In a source file that uses it, it is replaced by the
//    file's own source folder seen from the bundle, so `path.resolve(__dirname, '../../../proto')`
//    still means <root>/proto (libs/contracts PROTO_ROOT, the trainer's root, the text-encoder fixtures).
//
// usage: node tools/build/build-apps.js [app ...]   (default: every app under apps/)
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');
const swc = require('@swc/core');

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist/apps');
const TSCONFIG = path.join(ROOT, 'tsconfig.base.json');

const ALL_APPS = fs
  .readdirSync(path.join(ROOT, 'apps'))
  .filter((app) => fs.existsSync(path.join(ROOT, 'apps', app, 'src/main.ts')))
  .sort();

/**
 * A decorator call anywhere (`@Injectable()`, `constructor(@Inject(X) x: X)`) or a bare one opening a line:
 * such files need swc. A false positive (an `@x(` in a string) only costs a swc pass.
 */
const DECORATOR = /(?:^|[\s(,])@[A-Za-z_$][\w$.]*\s*\(|^\s*@[A-Za-z_$][\w$.]*\s*$/m;
const DIRNAME = /\b__dirname\b/g;
const USES_DIRNAME = /\b__dirname\b/;

function swcTransform(source, file) {
  return swc.transformSync(source, {
    filename: file,
    sourceMaps: 'inline',
    inlineSourcesContent: true,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    // CommonJS, as under run-ts: the metadata of a parameter typed by an interface refers to an import
    // that has no value (`typeof X === "undefined" ? Object : X`), which ES module linking refuses.
    module: { type: 'commonjs' },
  }).code;
}

/** Keeps each source's own `__dirname`: the folder it was in, resolved from where the bundle is. */
function withSourceDirname(source, file, outdir) {
  if (!USES_DIRNAME.test(source)) return source;
  const rel = path.relative(outdir, path.dirname(file)).split(path.sep).join('/');
  // Prepended on the first line, so the source's lines keep their numbers in the source map.
  const header = `import * as __recmeshPath from 'path'; const __recmeshSourceDir = __recmeshPath.resolve(__dirname, ${JSON.stringify(rel)}); `;
  return header + source.replace(DIRNAME, '__recmeshSourceDir');
}

function recmeshPlugin(outdir, stats) {
  return {
    name: 'recmesh-ts',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = withSourceDirname(await fs.promises.readFile(args.path, 'utf8'), args.path, outdir);
        if (!DECORATOR.test(source)) {
          stats.esbuild++;
          return { contents: source, loader: 'ts' };
        }
        stats.swc++;
        return { contents: swcTransform(source, args.path), loader: 'js' };
      });
    },
  };
}

async function buildApp(app) {
  const outdir = path.join(DIST, app);
  await fs.promises.rm(outdir, { recursive: true, force: true });
  const stats = { swc: 0, esbuild: 0 };
  const started = Date.now();
  const result = await esbuild.build({
    entryPoints: { main: path.join(ROOT, 'apps', app, 'src/main.ts') },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Every bare import not mapped by tsconfig paths (@recmesh/*) stays a require() of node_modules.
    packages: 'external',
    tsconfig: TSCONFIG,
    sourcemap: 'linked',
    sourcesContent: false,
    // Nest names providers and loggers by class name and TypeORM names tables after entity classes.
    keepNames: true,
    // reflect-metadata before any decorator runs, as tools/run-ts.js does. Source maps are not switched
    // on here: a bundle cannot do it for itself (node reads a file's map when it compiles it, before it
    // runs), and switching them on process-wide makes node read the maps of every package in
    // node_modules (~0.15 s more start-up CPU, measured on the trainer). For stack traces in the
    // TypeScript sources: node --enable-source-maps dist/apps/<app>/main.js (or NODE_OPTIONS).
    banner: { js: "'use strict';\nrequire('reflect-metadata');" },
    plugins: [recmeshPlugin(outdir, stats)],
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = fs.statSync(path.join(outdir, 'main.js')).size;
  const inputs = Object.keys(result.metafile.inputs).length;
  console.log(`dist/apps/${app}/main.js  ${(bytes / 1024).toFixed(0)} KiB from ${inputs} files (${stats.swc} with decorators via swc)  ${Date.now() - started} ms`);
  return { app, bytes, inputs };
}

async function main() {
  const apps = process.argv.slice(2);
  const unknown = apps.filter((a) => !ALL_APPS.includes(a));
  if (unknown.length) {
    console.error(`unknown app(s): ${unknown.join(', ')} (apps: ${ALL_APPS.join(', ')})`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(ROOT, 'libs/contracts/src/generated'))) {
    console.error('libs/contracts/src/generated is missing: run `npm run proto:gen` first');
    process.exit(1);
  }
  for (const app of apps.length ? apps : ALL_APPS) await buildApp(app);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
