import { parseCli, USAGE } from './cli';

describe('parseCli', () => {
  it('answers --help with no run and a missing --dataset with the usage line', () => {
    expect(parseCli(['--help'])).toBeUndefined();
    expect(() => parseCli([])).toThrow(USAGE);
  });

  it('reads the flags and their defaults', () => {
    const cli = parseCli(['--dataset', 'bundle_youshu', '--seeds', '4,5', '--validate', '--behaviour-dim', '128', '--no-personalized']);
    expect(cli).toMatchObject({ datasets: ['bundle_youshu'], seeds: [4, 5], splitSeed: 42, validate: true, behaviour: 'auto', behaviourDim: 128, leaf: 'deepest', personalized: false });
    expect(parseCli(['--dataset', 'all'])?.datasets).toHaveLength(3);
    expect(() => parseCli(['--dataset', 'nope'])).toThrow(/unknown dataset "nope"/);
  });
});
