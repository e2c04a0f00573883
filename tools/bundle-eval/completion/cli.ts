import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './log';

export const ALL_DATASETS = ['bundle_youshu', 'bundle_amazon_intent_sun2022/electronic', 'bundle_amazon_intent_sun2022/clothing'];

/** One dataset to evaluate: its name (report folder, dataset-specific defaults) and its normalized folder. */
export interface DatasetRef {
  name: string;
  dir: string;
}

export interface Cli {
  datasets: DatasetRef[];
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

export const USAGE = `usage: npm run eval:bundles -- --dataset ${[...ALL_DATASETS, 'all'].join('|')}|PATH [--seeds 1,2,3] [--validate]`;

export const HELP = `${USAGE}
Options:
  --dataset PATH       any dataset folder holding bundles.jsonl (directly or in normalized/); reports go to
                       <reports>/<folder name> (the parent's name for a normalized/ folder)
  --datasets-dir DIR   datasets root for the named datasets (default ../shared/datasets from the repo root)
  --reports DIR        report folder (default reports/bundles); --out DIR is the same
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
  const datasetsDir = path.resolve(ROOT, value('--datasets-dir') ?? '../shared/datasets');
  const names = dataset === 'all' ? ALL_DATASETS : [dataset.replace(/\/+$/, '')];
  const datasets = names.map((d) => (ALL_DATASETS.includes(d) ? namedDataset(d, datasetsDir) : datasetAtPath(d)));
  const behaviour = (value('--behaviour') ?? 'auto') as Cli['behaviour'];
  if (!['auto', 'bundles', 'user_item', 'none'].includes(behaviour)) throw new Error(`--behaviour must be auto|bundles|user_item|none`);
  const leaf = (value('--leaf') ?? 'deepest') as Cli['leaf'];
  if (!['deepest', 'first'].includes(leaf)) throw new Error('--leaf must be deepest|first');
  const seeds = (value('--seeds') ?? '1,2,3').split(',').map((s) => Number.parseInt(s, 10));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s))) throw new Error('--seeds must be a comma-separated list of integers');
  return {
    datasets,
    datasetsDir,
    outDir: path.resolve(ROOT, value('--reports') ?? value('--out') ?? 'reports/bundles'),
    seeds,
    splitSeed: Number.parseInt(value('--split-seed') ?? '42', 10),
    validate: argv.includes('--validate'),
    behaviour,
    behaviourDim: value('--behaviour-dim') === undefined ? undefined : Number.parseInt(value('--behaviour-dim') as string, 10),
    leaf,
    personalized: !argv.includes('--no-personalized'),
  };
}

/** A dataset of the fixed list: <datasets-dir>/<name>/normalized (<group>/normalized/<set> for the Amazon intent sets). */
function namedDataset(name: string, datasetsDir: string): DatasetRef {
  return { name, dir: path.join(datasetsDir, name.includes('/') ? name.replace('/', '/normalized/') : `${name}/normalized`) };
}

/** Any other --dataset: a folder (relative to the repo root) with bundles.jsonl in it or in its normalized/ subfolder. */
function datasetAtPath(given: string): DatasetRef {
  const folder = path.resolve(ROOT, given);
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new Error(`unknown dataset "${given}"; known: ${ALL_DATASETS.join(', ')}, all, or a path to a dataset folder`);
  }
  const dir = !fs.existsSync(path.join(folder, 'bundles.jsonl')) && fs.existsSync(path.join(folder, 'normalized')) ? path.join(folder, 'normalized') : folder;
  const name = path.basename(dir) === 'normalized' ? path.basename(path.dirname(dir)) : path.basename(dir);
  return { name, dir };
}
