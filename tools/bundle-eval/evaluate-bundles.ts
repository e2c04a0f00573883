// Offline bundle-completion evaluation (../shared/EVAL-PROTOCOL.md, "Bundle tasks"):
//   npm run eval:bundles -- --dataset bundle_youshu | bundle_amazon_intent_sun2022/electronic | bundle_amazon_intent_sun2022/clothing | all
// Options: --datasets-dir DIR (default ../shared/datasets from the repo root), --out DIR (default reports/bundles),
//   --seeds 1,2,3 (fit seeds), --split-seed 42, --validate (hold out 20% of the TRAINING bundles instead of the test
//   split and write under <out>/<dataset>/validation: for design choices; the test split is never looked at),
//   --behaviour auto|bundles|user_item|none, --behaviour-dim N (default: 256 on Youshu, 64 elsewhere; chosen with
//   --validate), --leaf deepest|first, --no-personalized.
//
// With a fixed seed, 20% of the bundles are held out; from each held-out bundle one item (seeded) is hidden and the
// rest is the anchor; every catalog item outside the anchor is ranked (ties count against the model). Every statistic
// (co-purchase counts, popularity, behaviour vectors, fitted weights) comes from the 80% training bundles only, plus,
// for Youshu, its user–item interactions (independent of the bundles). The Amazon intent sets' events.csv rows ARE the
// bundle rows, so they are not used at all there.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BundleFitReport,
  BundleModel,
  BundleModelWeights,
  CoPurchaseGraph,
  fitBundleModel,
  InMemoryComplementaritySources,
  ITEM_FEATURE_INDEX,
  ItemVectorTables,
  PAIR_FEATURE_INDEX,
  PAIR_FEATURE_NAMES,
  PairFeatureName,
  SeededRng,
  smoothedLogLift,
} from '@recmesh/bundling';
import { itemTextForEncoder, SentenceEncoder } from '@recmesh/model-runtime';
import { symmetricEigen } from './personalized/truncated-svd';

const ROOT = path.resolve(__dirname, '../..');
const KS = [5, 10, 20] as const;
const ALL_DATASETS = ['bundle_youshu', 'bundle_amazon_intent_sun2022/electronic', 'bundle_amazon_intent_sun2022/clothing'];
/**
 * Behaviour-vector width, chosen on the validation split of the training bundles (--validate, split seed 42, fit
 * seed 1). Youshu (user_item PPMI): recall@10 0.127 at 64, 0.147 at 128, 0.170 at 256. Amazon (training-bundle PPMI,
 * cross-fitted): the fitted weight is ~0 at 16, 64 and 128 and recall@10 does not move, so the cheap width stays.
 */
const DEFAULT_BEHAVIOUR_DIM: Record<string, number> = { bundle_youshu: 256 };
// Also checked on the validation split: the importance-weighted (logQ-corrected) sampled softmax of fitBundleModel lifts
// electronic bundle_model recall@10 from 0.361 to 0.432 and bundle_model_no_text from 0.239 to 0.318 over the plain one.
// Youshu behaviour vectors from training bundles (cross-fitted) instead of user_item: 0.121 vs 0.127 at width 64.

// ---------------------------------------------------------------- CLI

interface Cli {
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

function parseCli(argv: string[]): Cli {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const dataset = value('--dataset');
  if (!dataset) throw new Error(`usage: npm run eval:bundles -- --dataset ${[...ALL_DATASETS, 'all'].join('|')} [--seeds 1,2,3] [--validate]`);
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

const log = (message: string) => console.log(`[eval:bundles ${new Date().toISOString().slice(11, 19)}] ${message}`);
const seconds = (since: number) => (Date.now() - since) / 1000;

// ---------------------------------------------------------------- data

interface ItemRow {
  item_id: string;
  title?: string | null;
  category?: string | null;
  categories?: string[];
}

interface Dataset {
  name: string;
  dir: string;
  /** Catalog in items.jsonl order (plus any bundled item it lacks). */
  ids: string[];
  index: Map<string, number>;
  titles: (string | null)[];
  leaf: Map<string, string>;
  bundles: string[][];
  /** Youshu only: per user, the items they interacted with. */
  userBaskets?: string[][];
  hasText: boolean;
}

function readJsonl<T>(file: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/**
 * The most specific category path; the first listed path is often a merchandising tag ("Women", "International Shipping
 * Available"). Validation split (--validate, fit seed 1), bundle_model recall@10 deepest vs first: clothing 0.577 vs
 * 0.538, electronic 0.436 vs 0.432 (only 13 electronic items differ).
 */
function leafCategoryOf(row: ItemRow, rule: Cli['leaf']): string | undefined {
  const paths = row.categories && row.categories.length > 0 ? row.categories : row.category ? [row.category] : [];
  if (paths.length === 0) return undefined;
  if (rule === 'first') return paths[0];
  let best = paths[0];
  for (const p of paths) if (p.split(' > ').length > best.split(' > ').length) best = p;
  return best;
}

function loadDataset(name: string, cli: Cli): Dataset {
  const dir = path.join(cli.datasetsDir, name.includes('/') ? name.replace('/', '/normalized/') : `${name}/normalized`);
  if (!fs.existsSync(path.join(dir, 'bundles.jsonl'))) throw new Error(`no bundles.jsonl in ${dir} (is --datasets-dir right?)`);
  const rows = readJsonl<ItemRow>(path.join(dir, 'items.jsonl'));
  const ids: string[] = [];
  const index = new Map<string, number>();
  const titles: (string | null)[] = [];
  const leaf = new Map<string, string>();
  const add = (id: string, title: string | null) => {
    if (index.has(id)) return;
    index.set(id, ids.length);
    ids.push(id);
    titles.push(title);
  };
  for (const row of rows) {
    add(row.item_id, row.title ?? null);
    const category = leafCategoryOf(row, cli.leaf);
    if (category) leaf.set(row.item_id, category);
  }
  const bundles = readJsonl<{ items: string[] }>(path.join(dir, 'bundles.jsonl')).map((b) => [...new Set(b.items.map(String))]);
  let missing = 0;
  for (const b of bundles)
    for (const id of b)
      if (!index.has(id)) {
        add(id, null);
        missing++;
      }
  if (missing > 0) log(`${name}: ${missing} bundled items missing from items.jsonl were added to the catalog`);
  let userBaskets: string[][] | undefined;
  if (name === 'bundle_youshu') {
    // Youshu's user–item interactions are independent of its bundles (own source file), so they may feed behaviour vectors.
    const byUser = new Map<string, string[]>();
    const lines = fs.readFileSync(path.join(dir, 'events.csv'), 'utf8').split('\n');
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i]) continue;
      const [user, item] = lines[i].split(',');
      const list = byUser.get(user);
      if (list) list.push(item);
      else byUser.set(user, [item]);
    }
    userBaskets = [...byUser.values()].map((b) => [...new Set(b)]);
  }
  return { name, dir, ids, index, titles, leaf, bundles, userBaskets, hasText: titles.some((t) => t) };
}

interface Query {
  bundle: number;
  anchors: number[];
  target: number;
}

interface Split {
  train: string[][];
  queries: Query[];
  heldOut: number;
  skipped: number;
}

/** Seeded 80/20 split of bundles; one seeded hidden item per held-out bundle of 2+ items. */
function splitBundles(bundles: string[][], index: Map<string, number>, seed: number): Split {
  const rng = new SeededRng(seed);
  const order = rng.shuffle(bundles.map((_, i) => i));
  const heldOut = Math.floor(bundles.length * 0.2);
  const held = order.slice(0, heldOut).sort((a, b) => a - b);
  const heldSet = new Set(held);
  const queries: Query[] = [];
  let skipped = 0;
  for (const b of held) {
    const items = bundles[b];
    if (items.length < 2) {
      skipped++;
      continue;
    }
    const t = rng.int(items.length);
    queries.push({ bundle: b, target: index.get(items[t]) as number, anchors: items.filter((_, i) => i !== t).map((id) => index.get(id) as number) });
  }
  return { train: bundles.filter((_, i) => !heldSet.has(i)), queries, heldOut, skipped };
}

// ---------------------------------------------------------------- behaviour vectors (PPMI + randomized SVD)

/**
 * Item vectors from baskets (orders, or a user's items): the positive PMI of item co-occurrence,
 * factorised by seeded randomized SVD (Halko et al. 2011; 2 power iterations) into U·sqrt(Σ), as in
 * Levy & Goldberg's SVD of PPMI. At serving time the behaviour vectors are the sequential model's
 * item vectors instead; these catalogues have no trained sequential model, so this stands in for it.
 */
function basketEmbeddings(baskets: readonly (readonly string[])[], dim: number, seed: number): Map<string, Float32Array> {
  const graph = new CoPurchaseGraph(baskets);
  const ids = graph.itemIds();
  const n = ids.length;
  const out = new Map<string, Float32Array>();
  if (n === 0 || graph.totalCoPurchaseDegree === 0) return out;
  const total = graph.totalCoPurchaseDegree;
  const degree = Float64Array.from(ids, (id) => graph.coPurchaseDegree(id));
  // CSR of PPMI (symmetric).
  const rowStart = new Int32Array(n + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  const idx = new Map(ids.map((id, i) => [id, i]));
  for (let i = 0; i < n; i++) {
    graph.forEachPartner(ids[i], (p, c) => {
      const pmi = Math.log((c * total) / (degree[i] * degree[idx.get(p) as number]));
      if (pmi > 0) {
        cols.push(idx.get(p) as number);
        vals.push(pmi);
      }
    });
    rowStart[i + 1] = cols.length;
  }
  const colIdx = Int32Array.from(cols);
  const values = Float64Array.from(vals);
  const l = Math.min(n, dim + 10);
  const k = Math.min(dim, l);
  const multiply = (y: Float64Array, width: number): Float64Array => {
    const z = new Float64Array(n * width);
    for (let i = 0; i < n; i++) {
      const zi = i * width;
      for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
        const v = values[e];
        const yj = colIdx[e] * width;
        for (let c = 0; c < width; c++) z[zi + c] += v * y[yj + c];
      }
    }
    return z;
  };
  const rng = new SeededRng(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  let y = multiply(Float64Array.from({ length: n * l }, gaussian), l);
  orthonormaliseColumns(y, n, l);
  for (let it = 0; it < 2; it++) {
    y = multiply(y, l);
    orthonormaliseColumns(y, n, l);
  }
  // M symmetric: B = Qᵀ M = (M Q)ᵀ; eigen-decompose B Bᵀ (l × l).
  const mq = multiply(y, l);
  const gram = new Float64Array(l * l);
  for (let i = 0; i < n; i++) {
    const r = i * l;
    for (let a = 0; a < l; a++) {
      const va = mq[r + a];
      if (va === 0) continue;
      for (let b = a; b < l; b++) gram[a * l + b] += va * mq[r + b];
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) gram[a * l + b] = gram[b * l + a];
  const { values: eig, vectors } = symmetricEigen(gram, l);
  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => eig[b] - eig[a] || a - b);
  // Left singular vectors U = Q·W; embedding = U_k · sqrt(σ_k), σ = sqrt(eigenvalue).
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(k);
    let nonzero = false;
    for (let c = 0; c < k; c++) {
      const e = order[c];
      const sigma = Math.sqrt(Math.max(eig[e], 0));
      let u = 0;
      for (let a = 0; a < l; a++) u += y[i * l + a] * vectors[a * l + e];
      v[c] = u * Math.sqrt(sigma);
      if (v[c] !== 0) nonzero = true;
    }
    if (nonzero) out.set(ids[i], v);
  }
  return out;
}

/** Modified Gram–Schmidt (twice) on the columns of a row-major n × l matrix (done on a column-major copy, for contiguous loops). */
function orthonormaliseColumns(y: Float64Array, n: number, l: number): void {
  const cols = Array.from({ length: l }, (_, c) => {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = y[i * l + c];
    return col;
  });
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < l; c++) {
      const cc = cols[c];
      for (let p = 0; p < c; p++) {
        const cp = cols[p];
        let dot = 0;
        for (let i = 0; i < n; i++) dot += cc[i] * cp[i];
        if (dot !== 0) for (let i = 0; i < n; i++) cc[i] -= dot * cp[i];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += cc[i] * cc[i];
      norm = Math.sqrt(norm);
      if (norm > 1e-12) for (let i = 0; i < n; i++) cc[i] /= norm;
      else cc.fill(0);
    }
  }
  for (let c = 0; c < l; c++) {
    const col = cols[c];
    for (let i = 0; i < n; i++) y[i * l + c] = col[i];
  }
}


// ---------------------------------------------------------------- text vectors (MiniLM, cached)

function textEncoderDir(): string {
  return path.join(process.env.RECMESH_CACHE ?? path.join(os.homedir(), '.cache/recmesh'), 'text_encoder');
}

async function textVectors(ds: Dataset): Promise<{ vectors: Map<string, Float32Array>; seconds: number; cached: boolean; file: string }> {
  const started = Date.now();
  const dir = textEncoderDir();
  if (!fs.existsSync(path.join(dir, 'text_encoder.onnx')) || !fs.existsSync(path.join(dir, 'vocab.txt'))) {
    throw new Error(`text encoder not found in ${dir} (text_encoder.onnx + vocab.txt); build it with: npm run model:text-encoder`);
  }
  const texts: { id: string; text: string }[] = [];
  ds.ids.forEach((id, i) => {
    const text = itemTextForEncoder({ title: ds.titles[i], category: ds.leaf.get(id) });
    if (text) texts.push({ id, text });
  });
  const onnx = fs.statSync(path.join(dir, 'text_encoder.onnx'));
  const hash = createHash('sha256')
    .update(`${onnx.size}:${onnx.mtimeMs}\n`)
    .update(texts.map((t) => `${t.id}\t${t.text}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const cacheDir = path.join(os.homedir(), '.cache/recmesh/bundle-eval');
  const file = path.join(cacheDir, `${ds.name.replace(/\//g, '-')}-text-${hash}.f32`);
  let data: Float32Array;
  let cached = false;
  if (fs.existsSync(file)) {
    const buf = fs.readFileSync(file);
    data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    cached = true;
  } else {
    log(`${ds.name}: encoding ${texts.length} item texts with MiniLM (${dir}); cached afterwards in ${file}`);
    const encoder = await SentenceEncoder.loadFromDir(dir, { preferCuda: false, intraOpNumThreads: 2 });
    try {
      data = await encoder.encode(
        texts.map((t) => t.text),
        64,
      );
    } finally {
      await encoder.release();
    }
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  const dim = data.length / Math.max(1, texts.length);
  if (!Number.isInteger(dim)) throw new Error(`text vector cache ${file} has a bad size; delete it`);
  const vectors = new Map<string, Float32Array>();
  texts.forEach((t, i) => vectors.set(t.id, data.subarray(i * dim, (i + 1) * dim)));
  return { vectors, seconds: seconds(started), cached, file };
}

// ---------------------------------------------------------------- full ranking

/** Everything the dense full-ranking pass needs, over catalog indices. */
class RankingContext {
  readonly n: number;
  readonly rowStart: Int32Array;
  readonly partners: Int32Array;
  readonly counts: Int32Array;
  readonly degree: Float64Array;
  readonly logPopularity: Float64Array;
  readonly frequency: Float64Array;
  readonly total: number;
  readonly categoryOf: Int32Array;
  readonly categories: string[];
  private readonly categoryRows = new Map<number, Float64Array>();

  constructor(
    readonly ds: Dataset,
    readonly graph: CoPurchaseGraph,
  ) {
    const n = ds.ids.length;
    this.n = n;
    const rowStart = new Int32Array(n + 1);
    const partners: number[] = [];
    const counts: number[] = [];
    this.degree = new Float64Array(n);
    this.frequency = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const id = ds.ids[i];
      graph.forEachPartner(id, (p, c) => {
        partners.push(ds.index.get(p) as number);
        counts.push(c);
      });
      rowStart[i + 1] = partners.length;
      this.degree[i] = graph.coPurchaseDegree(id);
      this.frequency[i] = graph.itemFrequency(id);
    }
    this.rowStart = rowStart;
    this.partners = Int32Array.from(partners);
    this.counts = Int32Array.from(counts);
    this.logPopularity = this.degree.map((d) => Math.log1p(d));
    this.total = graph.totalCoPurchaseDegree;
    const categoryIndex = new Map<string, number>();
    this.categories = [];
    this.categoryOf = Int32Array.from(ds.ids, (id) => {
      const c = graph.leafCategory(id);
      if (c === undefined) return -1;
      let k = categoryIndex.get(c);
      if (k === undefined) {
        k = this.categories.length;
        categoryIndex.set(c, k);
        this.categories.push(c);
      }
      return k;
    });
  }

  /** category_lift of category a with every category. */
  categoryLiftRow(a: number): Float64Array {
    let row = this.categoryRows.get(a);
    if (!row) {
      const g = this.graph;
      const ca = this.categories[a];
      const da = g.categoryCoPurchaseDegree(ca);
      row = Float64Array.from(this.categories, (cb) =>
        smoothedLogLift(g.categoryCoPurchases(ca, cb), da, g.categoryCoPurchaseDegree(cb), g.totalCategoryCoPurchaseDegree),
      );
      this.categoryRows.set(a, row);
    }
    return row;
  }
}

/** Row-normalised copy of a vector table over catalog indices (zero rows where missing), so Σ_a cos(a, c) = (Σ_a â)·ĉ. */
function unitMatrix(ds: Dataset, table: ReadonlyMap<string, Float32Array> | undefined): { dim: number; data: Float64Array } | undefined {
  if (!table || table.size === 0) return undefined;
  const dim = (table.values().next().value as Float32Array).length;
  const data = new Float64Array(ds.ids.length * dim);
  ds.ids.forEach((id, i) => {
    const v = table.get(id);
    if (!v || v.length !== dim) return;
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += v[k] * v[k];
    if (norm === 0) return;
    const inv = 1 / Math.sqrt(norm);
    for (let k = 0; k < dim; k++) data[i * dim + k] = v[k] * inv;
  });
  return { dim, data };
}

type Scorer = (anchors: readonly number[], out: Float64Array) => void;

function popularityScorer(ctx: RankingContext): Scorer {
  return (_anchors, out) => out.set(ctx.frequency);
}

function coOccurrenceScorer(ctx: RankingContext): Scorer {
  return (anchors, out) => {
    out.fill(0);
    for (const a of anchors) for (let e = ctx.rowStart[a]; e < ctx.rowStart[a + 1]; e++) out[ctx.partners[e]] += ctx.counts[e];
  };
}

/** The fitted model's completionScore for every catalog item at once (sparse co-purchase terms, dense cosine terms). */
function modelScorer(ctx: RankingContext, model: BundleModel, behaviour?: { dim: number; data: Float64Array }, text?: { dim: number; data: Float64Array }): Scorer {
  const wp = model.pairWeightVector();
  const wi = model.itemWeightVector();
  const wLift = wp[PAIR_FEATURE_INDEX.log_lift];
  const wCo = wp[PAIR_FEATURE_INDEX.co_purchased];
  const wCat = wp[PAIR_FEATURE_INDEX.category_lift];
  const wSame = wp[PAIR_FEATURE_INDEX.same_leaf_category];
  const wBeh = wp[PAIR_FEATURE_INDEX.behaviour_cosine];
  const wText = wp[PAIR_FEATURE_INDEX.text_cosine];
  const wPop = wi[ITEM_FEATURE_INDEX.log_popularity];
  const categoryScore = new Float64Array(ctx.categories.length);
  const addCosine = (m: { dim: number; data: Float64Array } | undefined, w: number, anchors: readonly number[], out: Float64Array) => {
    if (!m || w === 0) return;
    const { dim, data } = m;
    const sum = new Float64Array(dim);
    for (const a of anchors) for (let k = 0; k < dim; k++) sum[k] += data[a * dim + k];
    for (let i = 0; i < ctx.n; i++) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += sum[k] * data[i * dim + k];
      out[i] += w * dot;
    }
  };
  return (anchors, out) => {
    for (let i = 0; i < ctx.n; i++) out[i] = wPop * ctx.logPopularity[i];
    if (wLift !== 0 || wCo !== 0) {
      for (const a of anchors) {
        for (let e = ctx.rowStart[a]; e < ctx.rowStart[a + 1]; e++) {
          const p = ctx.partners[e];
          const c = ctx.counts[e];
          out[p] += wLift * smoothedLogLift(c, ctx.degree[a], ctx.degree[p], ctx.total) + wCo * Math.log1p(c);
        }
      }
    }
    if ((wCat !== 0 || wSame !== 0) && ctx.categories.length > 0) {
      categoryScore.fill(0);
      let any = false;
      for (const a of anchors) {
        const ca = ctx.categoryOf[a];
        if (ca < 0) continue;
        any = true;
        if (wCat !== 0) {
          const row = ctx.categoryLiftRow(ca);
          for (let b = 0; b < row.length; b++) categoryScore[b] += wCat * row[b];
        }
        categoryScore[ca] += wSame;
      }
      if (any) for (let i = 0; i < ctx.n; i++) if (ctx.categoryOf[i] >= 0) out[i] += categoryScore[ctx.categoryOf[i]];
    }
    addCosine(behaviour, wBeh, anchors, out);
    addCosine(text, wText, anchors, out);
  };
}

interface RankingResult {
  metrics: Record<string, number>;
  evaluated: number;
  seconds: number;
  ranks: Int32Array;
}

function evaluate(ctx: RankingContext, queries: readonly Query[], scorer: Scorer, check?: (q: Query, scores: Float64Array) => void): RankingResult {
  const started = Date.now();
  const scores = new Float64Array(ctx.n);
  const recall = new Float64Array(KS.length);
  const ndcg = new Float64Array(KS.length);
  const ranks = new Int32Array(queries.length);
  queries.forEach((q, qi) => {
    scorer(q.anchors, scores);
    if (check && qi < 3) check(q, scores);
    const anchorSet = new Set(q.anchors);
    const t = scores[q.target];
    let rank = 1;
    for (let i = 0; i < ctx.n; i++) if (i !== q.target && scores[i] >= t && !anchorSet.has(i)) rank++;
    ranks[qi] = rank;
    KS.forEach((k, j) => {
      if (rank <= k) {
        recall[j] += 1;
        ndcg[j] += 1 / Math.log2(rank + 1);
      }
    });
  });
  const metrics: Record<string, number> = {};
  const n = Math.max(1, queries.length);
  KS.forEach((k, j) => (metrics[`recall@${k}`] = recall[j] / n));
  KS.forEach((k, j) => (metrics[`ndcg@${k}`] = ndcg[j] / n));
  return { metrics, evaluated: queries.length, seconds: seconds(started), ranks };
}

/** The dense pass must agree with BundleModel.completionScore (the served definition) on sampled items. */
function consistencyCheck(ds: Dataset, model: BundleModel, sources: InMemoryComplementaritySources, rng: SeededRng) {
  return (q: Query, scores: Float64Array) => {
    const anchors = q.anchors.map((i) => ds.ids[i]);
    const probe = [q.target, ...Array.from({ length: 20 }, () => rng.int(ds.ids.length))];
    for (const i of probe) {
      const expected = model.completionScore(anchors, ds.ids[i], sources);
      if (Math.abs(expected - scores[i]) > 1e-6 * (1 + Math.abs(expected))) {
        throw new Error(`full-ranking score of ${ds.ids[i]} is ${scores[i]} but BundleModel.completionScore says ${expected}`);
      }
    }
  };
}

// ---------------------------------------------------------------- the run

interface ModelReport {
  protocol: 1;
  dataset: string;
  task: 'bundle_completion';
  model: string;
  params: Record<string, unknown>;
  seeds: number[];
  metrics: Record<string, number>;
  metrics_std?: Record<string, number>;
  metrics_per_seed?: Record<string, number>[];
  users_evaluated: number;
  train_seconds: number;
  eval_seconds: number;
  machine: string;
  split: Record<string, unknown>;
  protocol_notes: string;
  created_at: string;
}

function machine(): string {
  const cpus = os.cpus();
  return `${os.type()} ${os.arch()}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores visible (shared), node ${process.version}, single-threaded TypeScript, no GPU`;
}

function meanStd(runs: Record<string, number>[]): { mean: Record<string, number>; std: Record<string, number> } {
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const key of Object.keys(runs[0])) {
    const xs = runs.map((r) => r[key]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean[key] = m;
    std[key] = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  }
  return { mean, std };
}

async function runDataset(name: string, cli: Cli): Promise<void> {
  const runStarted = Date.now();
  const ds = loadDataset(name, cli);
  const slug = name.replace(/\//g, '-');
  const outDir = path.join(cli.outDir, slug, ...(cli.validate ? ['validation'] : []));
  fs.mkdirSync(outDir, { recursive: true });

  // Split: the test split; in --validate mode, a validation split carved out of its training bundles.
  let split = splitBundles(ds.bundles, ds.index, cli.splitSeed);
  if (cli.validate) split = splitBundles(split.train, ds.index, cli.splitSeed + 1000);
  const trainItems = new Set(split.train.flat());
  const targetsSeen = split.queries.filter((q) => trainItems.has(ds.ids[q.target])).length;
  log(
    `${name}${cli.validate ? ' (VALIDATION split of the training bundles)' : ''}: ${ds.ids.length} catalog items, ${ds.bundles.length} bundles; ` +
      `${split.train.length} training, ${split.queries.length} held-out queries (${split.skipped} skipped), ` +
      `mean anchor ${(split.queries.reduce((s, q) => s + q.anchors.length, 0) / Math.max(1, split.queries.length)).toFixed(1)}; ` +
      `${((100 * targetsSeen) / Math.max(1, split.queries.length)).toFixed(0)}% of targets occur in training bundles`,
  );

  const buildStarted = Date.now();
  const graph = new CoPurchaseGraph(split.train, { leafCategories: ds.leaf });
  const ctx = new RankingContext(ds, graph);
  const graphSeconds = seconds(buildStarted);
  const coPurchasedTargets = split.queries.filter((q) => q.anchors.some((a) => graph.coPurchases(ds.ids[a], ds.ids[q.target]) > 0)).length;
  log(`graph built in ${graphSeconds.toFixed(1)} s; ${((100 * coPurchasedTargets) / Math.max(1, split.queries.length)).toFixed(0)}% of targets co-purchased with an anchor in training`);

  const reports: ModelReport[] = [];
  const splitInfo = {
    split_seed: cli.splitSeed,
    validation: cli.validate,
    held_out_fraction: 0.2,
    bundles: ds.bundles.length,
    training_bundles: split.train.length,
    held_out_bundles: split.heldOut,
    skipped_held_out_bundles_under_2_items: split.skipped,
    catalog_items: ds.ids.length,
    targets_in_training_bundles: targetsSeen,
    targets_co_purchased_with_an_anchor: coPurchasedTargets,
  };
  const notes =
    'Full ranking over every catalog item (items.jsonl) outside the anchor; rank = 1 + #items (target excluded) with score >= target score, so ties count against; ' +
    'no published completion numbers exist in the dataset README. Statistics come only from the training bundles' +
    (name === 'bundle_youshu'
      ? ' plus Youshu user_item (independent of the bundles) for behaviour vectors.'
      : '; events.csv and sessions.jsonl are not used (their rows hold the bundles, held-out ones included). Leaf category = the most specific of the item\'s category paths (the first listed path is often a merchandising tag).') +
    ' Behaviour vectors are learned here from training data (no sequential model exists for these catalogues); at serving time they are the sequential model\'s item vectors.';
  const report = (model: string, params: Record<string, unknown>, seeds: number[], results: RankingResult[], trainSeconds: number, extraNotes = ''): ModelReport => {
    const { mean, std } = meanStd(results.map((r) => r.metrics));
    return {
      protocol: 1,
      dataset: name,
      task: 'bundle_completion',
      model,
      params,
      seeds,
      metrics: mean,
      ...(results.length > 1 ? { metrics_std: std, metrics_per_seed: results.map((r) => r.metrics) } : {}),
      users_evaluated: results[0].evaluated,
      train_seconds: trainSeconds,
      eval_seconds: results.reduce((s, r) => s + r.seconds, 0) / results.length,
      machine: machine(),
      split: splitInfo,
      protocol_notes: extraNotes ? `${notes} ${extraNotes}` : notes,
      created_at: new Date().toISOString(),
    };
  };

  // Baselines.
  const popularity = evaluate(ctx, split.queries, popularityScorer(ctx));
  reports.push(report('popularity', { score: 'number of training bundles holding the item' }, [cli.splitSeed], [popularity], graphSeconds));
  log(`popularity: recall@10 ${popularity.metrics['recall@10'].toFixed(4)} (${popularity.seconds.toFixed(1)} s)`);
  const cooc = evaluate(ctx, split.queries, coOccurrenceScorer(ctx));
  reports.push(
    report('co_occurrence', { score: 'sum over anchor items of training co-purchase counts; no tie-breaker (ties count against)' }, [cli.splitSeed], [cooc], graphSeconds),
  );
  log(`co_occurrence: recall@10 ${cooc.metrics['recall@10'].toFixed(4)} (${cooc.seconds.toFixed(1)} s)`);

  // Behaviour vectors (learned here from training data; served: the sequential model's item vectors).
  const behaviourSource = cli.behaviour === 'auto' ? (ds.userBaskets ? 'user_item' : 'bundles') : cli.behaviour;
  if (behaviourSource === 'user_item' && !ds.userBaskets) throw new Error(`--behaviour user_item: ${name} has no independent user–item data`);
  const behaviourDim = cli.behaviourDim ?? DEFAULT_BEHAVIOUR_DIM[name] ?? 64;
  const embStarted = Date.now();
  const embeddingSeed = cli.splitSeed + 7;
  let behaviourAll: Map<string, Float32Array> | undefined;
  let behaviourForOrder: ((order: number) => Map<string, Float32Array> | undefined) | undefined;
  const folds = 5;
  if (behaviourSource === 'user_item') {
    behaviourAll = basketEmbeddings(ds.userBaskets as string[][], behaviourDim, embeddingSeed);
    behaviourForOrder = () => behaviourAll;
  } else if (behaviourSource === 'bundles') {
    behaviourAll = basketEmbeddings(split.train, behaviourDim, embeddingSeed);
    // Cross-fitting: a fitting query made from training bundle o reads vectors learned without o's fold,
    // as the held-out bundles' vectors were learned without them.
    const foldOf = new SeededRng(embeddingSeed).shuffle(split.train.map((_, i) => i)).reduce((m, o, rank) => m.set(o, rank % folds), new Map<number, number>());
    const foldVectors = Array.from({ length: folds }, (_, f) =>
      basketEmbeddings(
        split.train.filter((_, o) => foldOf.get(o) !== f),
        behaviourDim,
        embeddingSeed + 1 + f,
      ),
    );
    behaviourForOrder = (o) => foldVectors[foldOf.get(o) as number];
  }
  const behaviourSeconds = seconds(embStarted);
  if (behaviourAll) log(`behaviour vectors (${behaviourSource}, dim ${behaviourDim}) for ${behaviourAll.size} items in ${behaviourSeconds.toFixed(1)} s`);

  const text = ds.hasText ? await textVectors(ds) : undefined;
  if (text) log(`text vectors for ${text.vectors.size} items (${text.cached ? 'cache' : 'encoded'}) in ${text.seconds.toFixed(1)} s`);

  const behaviourUnit = unitMatrix(ds, behaviourAll);
  const textUnit = unitMatrix(ds, text?.vectors);
  const testSources = new InMemoryComplementaritySources(graph, { behaviour: behaviourAll, text: text?.vectors });
  const catalog = ds.ids;
  const isYoushu = name === 'bundle_youshu';
  const variants: { model: string; pairFeatures: PairFeatureName[] }[] = [{ model: 'bundle_model', pairFeatures: [...PAIR_FEATURE_NAMES] }];
  if (text) variants.push({ model: 'bundle_model_no_text', pairFeatures: PAIR_FEATURE_NAMES.filter((f) => f !== 'text_cosine') });
  const fits: Record<string, { seed: number; weights: BundleModelWeights; report: BundleFitReport }[]> = {};
  for (const variant of variants) {
    const results: RankingResult[] = [];
    const trainTimes: number[] = [];
    fits[variant.model] = [];
    for (const seed of cli.seeds) {
      const fitStarted = Date.now();
      const vectorsFor = (o: number): ItemVectorTables => ({ behaviour: behaviourForOrder?.(o), text: variant.pairFeatures.includes('text_cosine') ? text?.vectors : undefined });
      const fit = fitBundleModel({
        graph,
        catalog,
        vectors: vectorsFor,
        pairFeatures: variant.pairFeatures,
        seed,
        // Youshu bundles hold 37 items: one held-out item per bundle already gives 3,800 queries of 36 anchors each.
        queriesPerOrder: isYoushu ? 1 : 3,
        version: `${slug}-${variant.model}-seed${seed}${cli.validate ? '-validation' : ''}`,
        fittedOn: { dataset: name, split_seed: cli.splitSeed, validation_split: cli.validate, behaviour: behaviourSource, behaviourDim, leaf: cli.leaf },
        log: (m) => log(`[${variant.model} seed ${seed}] ${m}`),
      });
      trainTimes.push(seconds(fitStarted) + behaviourSeconds + graphSeconds);
      fits[variant.model].push({ seed, weights: fit.weights, report: fit.report });
      const model = fit.model;
      const sources = variant.pairFeatures.includes('text_cosine') ? testSources : new InMemoryComplementaritySources(graph, { behaviour: behaviourAll });
      const result = evaluate(ctx, split.queries, modelScorer(ctx, model, behaviourUnit, variant.pairFeatures.includes('text_cosine') ? textUnit : undefined), consistencyCheck(ds, model, sources, new SeededRng(seed)));
      results.push(result);
      log(
        `${variant.model} seed ${seed}: recall@10 ${result.metrics['recall@10'].toFixed(4)} ndcg@10 ${result.metrics['ndcg@10'].toFixed(4)}; weights ${JSON.stringify(roundAll(fit.report.weights))}; ` +
          `fit ${fit.report.seconds.toFixed(1)} s, eval ${result.seconds.toFixed(1)} s`,
      );
      fs.writeFileSync(path.join(outDir, `${variant.model}-weights-seed${seed}.json`), `${JSON.stringify(fit.weights, null, 2)}\n`);
    }
    reports.push(
      report(
        variant.model,
        {
          pair_features: variant.pairFeatures,
          item_features: ['log_popularity'],
          aggregation: 'completionScore = sum over anchors of pairScore + itemScore',
          fit:
            'leave-one-item-out completion queries from training bundles, features from the leave-that-bundle-out graph; listwise softmax over the target + sampled negatives ' +
            '(random, popular, co-purchased, same-category) importance-weighted by 1/inclusion probability (logQ correction) so it estimates the full-catalogue softmax; ' +
            'L2 chosen on 20% of training bundles (strongest within one standard error of the best validation loss); Newton',
          queries_per_bundle: isYoushu ? 1 : 3,
          behaviour_vectors:
            behaviourSource === 'none'
              ? 'none'
              : `${behaviourSource === 'user_item' ? 'Youshu user_item baskets' : 'training bundles'} -> PPMI -> randomized SVD (dim ${behaviourDim}, U*sqrt(S))` +
                (behaviourSource === 'bundles' ? `; fitting queries read ${folds}-fold cross-fitted vectors` : '') +
                '; at serving time the behaviour vectors are the sequential model\'s item vectors',
          text_vectors: variant.pairFeatures.includes('text_cosine') && text ? `MiniLM (${textEncoderDir()}) on itemTextForEncoder({title, category: leaf})` : 'off',
          leaf_category: cli.leaf === 'deepest' ? 'most specific path of items.jsonl "categories"' : 'first path ("category")',
          fitted: fits[variant.model].map((f) => ({ seed: f.seed, weights: roundAll(f.report.weights), l2: f.report.l2, queries: f.report.queries, dropped: f.report.droppedFeatures })),
        },
        cli.seeds,
        results,
        trainTimes.reduce((a, b) => a + b, 0) / trainTimes.length,
        `Seeds vary the fit (query and negative sampling); the split and the behaviour SVD use fixed seeds.${text ? ` Text encoding ${text.seconds.toFixed(1)} s (${text.cached ? 'from cache' : 'encoded'}) is not in train_seconds.` : ''}`,
      ),
    );
  }

  for (const r of reports) fs.writeFileSync(path.join(outDir, `completion-${r.model}.json`), `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'completion.md'), markdown(name, cli, reports, split, splitInfo, fits, text !== undefined, behaviourSource, behaviourDim));
  log(`${name}: wrote ${reports.length} reports to ${path.relative(ROOT, outDir)} in ${seconds(runStarted).toFixed(0)} s`);

  if (isYoushu && cli.personalized && !cli.validate) {
    const file = path.join(__dirname, 'personalized-bundle-eval.ts');
    if (!fs.existsSync(file)) {
      log(`personalized bundle recommendation skipped: ${path.relative(ROOT, file)} does not exist`);
    } else {
      log(`personalized bundle recommendation: running ${path.relative(ROOT, file)}`);
      const mod = (await import('./personalized-bundle-eval')) as {
        runPersonalizedBundleEval?: (o: { datasetDir: string; outDir: string; seed: number }) => Promise<unknown>;
      };
      if (typeof mod.runPersonalizedBundleEval !== 'function') log('personalized bundle recommendation skipped: runPersonalizedBundleEval is not exported');
      else await mod.runPersonalizedBundleEval({ datasetDir: ds.dir, outDir, seed: cli.splitSeed });
    }
  }
}

function roundAll(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 1e4) / 1e4]));
}

function markdown(
  name: string,
  cli: Cli,
  reports: ModelReport[],
  split: Split,
  info: Record<string, unknown>,
  fits: Record<string, { seed: number; report: BundleFitReport }[]>,
  hasText: boolean,
  behaviourSource: string,
  behaviourDim: number,
): string {
  const keys = [...KS.map((k) => `recall@${k}`), ...KS.map((k) => `ndcg@${k}`)];
  const cell = (r: ModelReport, k: string) => (r.metrics_std ? `${r.metrics[k].toFixed(4)} ± ${r.metrics_std[k].toFixed(4)}` : r.metrics[k].toFixed(4));
  const lines = [
    `# Bundle completion — ${name}${cli.validate ? ' (VALIDATION split of the training bundles)' : ''}`,
    '',
    `Protocol 1 (EVAL-PROTOCOL.md, bundle tasks). Split seed ${cli.splitSeed}: ${info.training_bundles} training bundles, ` +
      `${split.queries.length} held-out bundles evaluated (${split.skipped} skipped for < 2 items); one seeded hidden item per held-out bundle, ` +
      `the rest is the anchor; **full ranking** over all ${info.catalog_items} catalog items outside the anchor, ties count against the model. ` +
      `${info.targets_in_training_bundles} of the ${split.queries.length} hidden items occur in some training bundle; ` +
      `${info.targets_co_purchased_with_an_anchor} were co-purchased with an anchor item in training.`,
    '',
    `| model | seeds | ${keys.join(' | ')} | train s | eval s |`,
    `|---|---|${keys.map(() => '---').join('|')}|---|---|`,
    ...reports.map((r) => `| ${r.model} | ${r.seeds.length > 1 && r.model.startsWith('bundle_model') ? r.seeds.join(',') : '–'} | ${keys.map((k) => cell(r, k)).join(' | ')} | ${r.train_seconds.toFixed(1)} | ${r.eval_seconds.toFixed(1)} |`),
    '',
    'Published numbers: **none** — the dataset README transcribes no completion results (none were readable offline), so there is nothing to put side by side.',
    '',
    '## Models',
    '- `popularity`: number of training bundles holding the item.',
    '- `co_occurrence`: Σ over anchor items of training co-purchase counts (no tie-breaker).',
    `- \`bundle_model\`: the served BundleModel (libs/bundling), Σ_anchors pairScore + itemScore, weights fitted on the training bundles (mean ± std over fit seeds ${cli.seeds.join(', ')}): ` +
      'leave-one-item-out completion queries from the training bundles with features from the graph minus the query\'s own bundle, listwise softmax against sampled ' +
      'random / popular / co-purchased / same-category negatives, importance-weighted by 1/inclusion probability so the loss estimates the full-catalogue softmax; ' +
      'L2 strength chosen on 20% of the training bundles (the strongest within one standard error of the best validation loss); exact Newton optimisation. The test split is only used for this table.',
    ...(hasText ? ['- `bundle_model_no_text`: the same with text_cosine removed, refitted.'] : []),
    `- Behaviour vectors: ${behaviourSource === 'user_item' ? "Youshu's user_item interactions (independent of the bundles)" : behaviourSource === 'bundles' ? 'the training bundles (fitting queries read 5-fold cross-fitted vectors, so a query never sees its own bundle)' : 'none'}` +
      `${behaviourSource === 'none' ? '' : ` → PPMI → seeded randomized SVD, dim ${behaviourDim}`}. These catalogues have no trained sequential model; at serving time the behaviour vectors are the sequential model's item vectors.`,
    hasText ? `- Text vectors: MiniLM sentence encoder on \`itemTextForEncoder({title, category})\` with the leaf category (${cli.leaf === 'deepest' ? 'most specific of the listed category paths' : 'first listed path'}).` : '- Text: this dataset has no item text.',
    '',
    '## Fitted weights (model units; features are sums over anchors)',
    '',
  ];
  for (const [model, list] of Object.entries(fits)) {
    const names = [...new Set(list.flatMap((f) => Object.keys(f.report.weights)))];
    lines.push(`**${model}**`, '', `| seed | ${names.join(' | ')} | l2 | val. loss |`, `|---|${names.map(() => '---').join('|')}|---|---|`);
    for (const f of list) {
      const best = f.report.l2Search.find((s) => s.l2 === f.report.l2);
      lines.push(`| ${f.seed} | ${names.map((n) => (n in f.report.weights ? f.report.weights[n].toFixed(4) : '–')).join(' | ')} | ${f.report.l2} | ${best ? best.validationLoss.toFixed(4) : '–'} |`);
    }
    const dropped = [...new Set(list.flatMap((f) => f.report.droppedFeatures))];
    if (dropped.length > 0) lines.push('', `Left out (constant over every fitting candidate, i.e. no such information in this dataset): ${dropped.join(', ')}.`);
    const same = list.map((f) => f.report.weights.same_leaf_category).filter((w): w is number => w !== undefined);
    if (same.length > 0) {
      const sign = same.every((w) => w < 0) ? 'negative in every seed: a substitute penalty' : same.every((w) => w > 0) ? 'positive in every seed: same-category bundles are normal here' : 'of mixed sign across seeds';
      lines.push('', `same_leaf_category is ${sign} (${same.map((w) => w.toFixed(3)).join(', ')}).`);
    }
    lines.push('');
  }
  lines.push(
    'Reading the weights: where expected co-purchases are far below 1 (sparse catalogues), log_lift = log((count + 1) / (expected + 1)) and ' +
      'co_purchased = log(1 + count) nearly coincide, so their weights are only identified together: their sum weighs the co-purchase count, and ' +
      "log_lift's own weight penalises pairs that co-occur because both items are popular. The split between the two swings across seeds " +
      'while the scores and metrics do not. Cosine and lift features are summed over the anchor items, so their weights are per anchor.',
    '',
    `Design choices (behaviour-vector source and width, leaf-category rule, importance weighting) were made on a validation split of the training bundles (\`--validate\`, results in \`validation/\`), never on this test split.`,
    '',
    `Machine: ${machine()}. train s = graph + behaviour vectors + fit (mean per seed); text encoding is cached and not counted. Per-model JSON: \`completion-<model>.json\`; fitted weights: \`<model>-weights-seed<k>.json\`.`,
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  for (const name of cli.datasets) await runDataset(name, cli);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  if (error instanceof Error && process.env.DEBUG) console.error(error.stack);
  process.exit(1);
});

