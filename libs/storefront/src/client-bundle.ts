import * as path from 'path';
import { buildPageBundle, PageBundle } from '@recmesh/service-runtime';

/** The page's script and styles, built from `client/` with esbuild when the storefront starts: nothing built is committed. */
export type ClientBundle = PageBundle;

export const CLIENT_DIR = path.resolve(__dirname, 'client');

/** Bundles client/main.tsx (Preact, TSX) into memory. */
export function buildClientBundle(): Promise<ClientBundle> {
  return buildPageBundle({ dir: CLIENT_DIR, publicPath: '/shop/assets' });
}
