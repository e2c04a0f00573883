import * as path from 'path';

/** A browser page's script and styles, built in memory when the process starts: nothing built is committed. */
export interface PageBundle {
  /** By file name: app.js, app.css and their source maps. */
  readonly files: ReadonlyMap<string, { readonly body: Buffer; readonly contentType: string }>;
  readonly buildMs: number;
}

export interface PageBundleSource {
  /** The page's folder: `main.tsx` and the `tsconfig.json` that types it (Preact, DOM). */
  readonly dir: string;
  /** Where the files are served from, e.g. /shop/assets (source maps name it). */
  readonly publicPath: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Bundles `<dir>/main.tsx` (Preact, TSX) into memory (the demo storefront and
 * the operations page: about 0.3 s each). esbuild is loaded only here, so
 * processes without a page never need it.
 */
export async function buildPageBundle(source: PageBundleSource): Promise<PageBundle> {
  const started = Date.now();
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: path.join(source.dir, 'main.tsx') },
    tsconfig: path.join(source.dir, 'tsconfig.json'),
    bundle: true,
    write: false,
    outdir: source.publicPath,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'eof',
    logLevel: 'silent',
  });
  const files = new Map<string, { body: Buffer; contentType: string }>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    files.set(name, { body: Buffer.from(file.contents), contentType: CONTENT_TYPES[path.extname(name)] ?? 'text/plain; charset=utf-8' });
  }
  return { files, buildMs: Date.now() - started };
}
