import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCli, USAGE } from './cli';
import { ROOT } from './log';

describe('parseCli', () => {
  it('answers --help with no run and a missing --dataset with the usage line', () => {
    expect(parseCli(['--help'])).toBeUndefined();
    expect(() => parseCli([])).toThrow(USAGE);
  });

  it('reads the flags and their defaults', () => {
    const cli = parseCli(['--dataset', 'bundle_youshu', '--seeds', '4,5', '--validate', '--behaviour-dim', '128', '--no-personalized']);
    expect(cli).toMatchObject({ seeds: [4, 5], splitSeed: 42, validate: true, behaviour: 'auto', behaviourDim: 128, leaf: 'deepest', personalized: false });
    expect(cli?.datasets).toEqual([{ name: 'bundle_youshu', dir: path.resolve(ROOT, '../shared/datasets/bundle_youshu/normalized') }]);
    expect(cli?.outDir).toBe(path.resolve(ROOT, 'reports/bundles'));
    expect(parseCli(['--dataset', 'all'])?.datasets).toHaveLength(3);
    expect(parseCli(['--dataset', 'bundle_amazon_intent_sun2022/electronic', '--datasets-dir', '/data'])?.datasets).toEqual([
      { name: 'bundle_amazon_intent_sun2022/electronic', dir: '/data/bundle_amazon_intent_sun2022/normalized/electronic' },
    ]);
    expect(() => parseCli(['--dataset', 'nope'])).toThrow(/unknown dataset "nope"; .* or a path to a dataset folder/);
  });

  it('takes a path to a dataset folder (or its parent of normalized/) and writes where --reports says', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-cli-'));
    try {
      const normalized = path.join(tmp, 'my_shop', 'normalized');
      fs.mkdirSync(normalized, { recursive: true });
      fs.writeFileSync(path.join(normalized, 'bundles.jsonl'), '');
      const expected = [{ name: 'my_shop', dir: normalized }];
      expect(parseCli(['--dataset', path.join(tmp, 'my_shop')])?.datasets).toEqual(expected);
      expect(parseCli(['--dataset', `${normalized}/`])?.datasets).toEqual(expected);
      expect(parseCli(['--dataset', path.join(tmp, 'my_shop'), '--reports', path.join(tmp, 'out')])?.outDir).toBe(path.join(tmp, 'out'));
      expect(parseCli(['--dataset', 'all', '--out', 'elsewhere'])?.outDir).toBe(path.resolve(ROOT, 'elsewhere'));
      expect(() => parseCli(['--dataset', path.join(tmp, 'missing')])).toThrow(/unknown dataset/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
