import { buildPageBundle } from '@recmesh/service-runtime';
import { OPS_CLIENT_DIR } from './operations.controller';

describe('the operations page bundle', () => {
  it('builds client/ (Preact, TSX) into a small script and stylesheet that call /ops/api', async () => {
    const bundle = await buildPageBundle({ dir: OPS_CLIENT_DIR, publicPath: '/ops/assets' });
    expect([...bundle.files.keys()].sort()).toEqual(['app.css', 'app.css.map', 'app.js', 'app.js.map']);
    const js = bundle.files.get('app.js')!.body.toString();
    expect(js).toContain('/ops/api/');
    expect(bundle.files.get('app.js')!.body.length).toBeLessThan(60_000);
  }, 30_000);
});
