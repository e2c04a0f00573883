// The completion reports: one JSON per model (EVAL-PROTOCOL "Report") and the markdown table.
import * as os from 'os';
import { BundleFitReport } from '@recmesh/bundling';
import { meanAndStd } from '@recmesh/numerics';
import { Cli } from './cli';
import { Split } from './dataset';
import { KS, RankingResult } from './full-ranking';

export interface ModelReport {
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

export function machine(): string {
  const cpus = os.cpus();
  return `${os.type()} ${os.arch()}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores visible (shared), node ${process.version}, single-threaded TypeScript, no GPU`;
}

/** What every model's report of one dataset shares. */
export interface ReportContext {
  dataset: string;
  split: Record<string, unknown>;
}

function protocolNotes(dataset: string): string {
  return (
    'Full ranking over every catalog item (items.jsonl) outside the anchor; rank = 1 + #items (target excluded) with score >= target score, so ties count against; ' +
    'no published completion numbers exist in the dataset README. Statistics come only from the training bundles' +
    (dataset === 'bundle_youshu'
      ? ' plus Youshu user_item (independent of the bundles) for behaviour vectors.'
      : '; events.csv and sessions.jsonl are not used (their rows hold the bundles, held-out ones included). Leaf category = the most specific of the item\'s category paths (the first listed path is often a merchandising tag).') +
    ' Behaviour vectors are learned here from training data (no sequential model exists for these catalogues); at serving time they are the sequential model\'s item vectors.'
  );
}

/** One model's report: metrics are the mean over its runs (seeds), with the per-seed values and their std when there are several. */
export function modelReport(
  context: ReportContext,
  model: string,
  params: Record<string, unknown>,
  seeds: number[],
  results: RankingResult[],
  trainSeconds: number,
  extraNotes = '',
): ModelReport {
  const { mean, std } = meanAndStd(results.map((r) => r.metrics));
  const notes = protocolNotes(context.dataset);
  return {
    protocol: 1,
    dataset: context.dataset,
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
    split: context.split,
    protocol_notes: extraNotes ? `${notes} ${extraNotes}` : notes,
    created_at: new Date().toISOString(),
  };
}

export function roundAll(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 1e4) / 1e4]));
}

export function markdown(
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
