import { buildClientBundle } from './client-bundle';

describe('the storefront page bundle', () => {
  it('builds client/ (Preact, TSX) into a script and a stylesheet with their source maps', async () => {
    const bundle = await buildClientBundle();
    expect([...bundle.files.keys()].sort()).toEqual(['app.css', 'app.css.map', 'app.js', 'app.js.map']);
    expect(bundle.files.get('app.js')!.contentType).toBe('text/javascript; charset=utf-8');
    const js = bundle.files.get('app.js')!.body.toString();
    expect(js).toContain('/v1/clickstream');
    expect(js).toContain('/shop/api/');
    // Small: Preact and the page, not a framework's worth of code.
    expect(bundle.files.get('app.js')!.body.length).toBeLessThan(80_000);
  }, 30_000);
});
