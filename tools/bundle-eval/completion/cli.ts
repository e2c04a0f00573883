import * as path from 'path';
import { ROOT } from './log';

export const ALL_DATASETS = ['bundle_youshu', 'bundle_amazon_intent_sun2022/electronic', 'bundle_amazon_intent_sun2022/clothing'];

export interface Cli {
  datasets: string[];
  datasetsDir: string;
  outDir: string;
  seeds: number[];
  splitSeed: number;
  validate: boolean;
  behaviour: 'auto' | 'bundles' | 'user_item' | 'none';
  /** Undefined: the per-dataset default (DEFAULT_BEHAVIOUR_DIM). */
  behaviourDim?: number;
  leaf: 'deepest' | 'first';
  personalized: boolean;
}

export const USAGE = `usage: npm run eval:bundles -- --dataset ${[...ALL_DATASETS, 'all'].join('|')} [--seeds 1,2,3] [--validate]`;

export const HELP = `${USAGE}
Options:
  --datasets-dir DIR   datasets root (default ../shared/datasets from the repo root)
  --out DIR            report folder (default reports/bundles)
  --seeds 1,2,3        fit seeds
  --split-seed 42      seed of the 80/20 bundle split
  --validate           hold out 20% of the TRAINING bundles instead of the test split and write under
                       <out>/<dataset>/validation (for design choices; the test split is never looked at)
  --behaviour auto|bundles|user_item|none
  --behaviour-dim N    behaviour-vector width (default: 256 on Youshu, 64 elsewhere; chosen with --validate)
  --leaf deepest|first leaf-category rule
  --no-personalized    skip Youshu's personalized bundle recommendation task
  --help               this text`;

/** The parsed command line; undefined when --help asks for the usage text. */
export function parseCli(argv: string[]): Cli | undefined {
  if (argv.includes('--help')) return undefined;
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const dataset = value('--dataset');
  if (!dataset) throw new Error(USAGE);
  const datasets = dataset === 'all' ? ALL_DATASETS : [dataset.replace(/\/+$/, '')];
  for (const d of datasets) if (!ALL_DATASETS.includes(d)) throw new Error(`unknown dataset "${d}"; known: ${ALL_DATASETS.join(', ')}, all`);
  const behaviour = (value('--behaviour') ?? 'auto') as Cli['behaviour'];
  if (!['auto', 'bundles', 'user_item', 'none'].includes(behaviour)) throw new Error(`--behaviour must be auto|bundles|user_item|none`);
  const leaf = (value('--leaf') ?? 'deepest') as Cli['leaf'];
  if (!['deepest', 'first'].includes(leaf)) throw new Error('--leaf must be deepest|first');
  const seeds = (value('--seeds') ?? '1,2,3').split(',').map((s) => Number.parseInt(s, 10));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s))) throw new Error('--seeds must be a comma-separated list of integers');
  return {
    datasets,
    datasetsDir: path.resolve(ROOT, value('--datasets-dir') ?? '../shared/datasets'),
    outDir: path.resolve(ROOT, value('--out') ?? 'reports/bundles'),
    seeds,
    splitSeed: Number.parseInt(value('--split-seed') ?? '42', 10),
    validate: argv.includes('--validate'),
    behaviour,
    behaviourDim: value('--behaviour-dim') === undefined ? undefined : Number.parseInt(value('--behaviour-dim') as string, 10),
    leaf,
    personalized: !argv.includes('--no-personalized'),
  };
}
