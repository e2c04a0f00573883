/** JSON reports (EVAL-PROTOCOL "Report") and the side-by-side markdown for personalized bundle recommendation. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface PersonalizedModelReport {
  protocol: 1;
  dataset: string;
  task: 'personalized_bundle_recommendation';
  model: string;
  params: Record<string, unknown>;
  seeds: number[];
  metrics: Record<string, number>;
  tune_metrics: Record<string, number>;
  tune_metrics_note: string;
  users_evaluated: number;
  tune_users_evaluated: number;
  train_seconds: number;
  eval_seconds: number;
  machine: string;
  created_at: string;
  mask_history: true;
  full_ranking: true;
  num_bundles: number;
  protocol_notes: string;
  /** For models run over several seeds: sample standard deviation of each metric. */
  metrics_std?: Record<string, number>;
  per_seed?: Array<Record<string, unknown>>;
}

export function machineDescription(): string {
  const cpus = os.cpus();
  return `${os.type()} ${os.arch()}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores visible, node ${process.version}, single-threaded TypeScript, no GPU`;
}

export function writeJsonReports(outDir: string, reports: readonly PersonalizedModelReport[]): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  return reports.map((r) => {
    const file = path.join(outDir, `personalized-${r.model}.json`);
    fs.writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
    return file;
  });
}

const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(4));
/** Markdown table cell text: pipes escaped. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

export interface MarkdownContext {
  dataset: string;
  splitSizes: Record<string, number | string>;
  reports: readonly PersonalizedModelReport[];
  weightsTable: Array<{ feature: string; definition: string; standardized: number; raw: number; mean: number; std: number }>;
  singleFeatureTune: Record<string, Record<string, number>>;
  seedRuns: Array<{ seed: number; metrics: Record<string, number> }>;
  seedStd: Record<string, number>;
  cvByL2: Record<string, Record<string, number>>;
  knnGrid: Array<{ variant: string; k: string; recall20: number; ndcg20: number }>;
  notes: string[];
  totalSeconds: number;
}

export function writeMarkdown(outDir: string, ctx: MarkdownContext): string {
  const lines: string[] = [];
  lines.push(`# Personalized bundle recommendation — ${ctx.dataset}`);
  lines.push('');
  lines.push(
    'Protocol 1, task "Personalized bundle recommendation": the dataset\'s own train / tune / test user–bundle splits (CrossCBR files), ' +
      '**full ranking over all bundles** (no sampled negatives), the user\'s training bundles masked, Recall@K and NDCG@K (binary gains, IDCG over min(#test bundles, K)) averaged over users with ≥1 bundle in the evaluated split. ' +
      'Ties in score count against the model.',
  );
  lines.push('');
  lines.push('**Published numbers:** the dataset README gives none (the BGCN / CrossCBR tables were not readable offline), so there is no published column; when added they must be full-ranking numbers (both papers rank all bundles).');
  lines.push('');
  lines.push('## Splits');
  lines.push('');
  lines.push('| ' + Object.keys(ctx.splitSizes).join(' | ') + ' |');
  lines.push('|' + Object.keys(ctx.splitSizes).map(() => '---').join('|') + '|');
  lines.push('| ' + Object.values(ctx.splitSizes).map((v) => (typeof v === 'number' ? v.toLocaleString('en-US') : v)).join(' | ') + ' |');
  lines.push('');
  lines.push('## Results (test split; tune shown for reference)');
  lines.push('');
  lines.push('| model | test recall@20 | test ndcg@20 | test recall@10 | test ndcg@10 | test recall@40 | test ndcg@40 | tune recall@20 | tune ndcg@20 | test users | train s | eval s |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of ctx.reports) {
    const m = r.metrics;
    const t = r.tune_metrics;
    lines.push(
      `| ${r.model} | ${fmt(m['recall@20'])} | ${fmt(m['ndcg@20'])} | ${fmt(m['recall@10'])} | ${fmt(m['ndcg@10'])} | ${fmt(m['recall@40'])} | ${fmt(m['ndcg@40'])} | ${fmt(t['recall@20'])} | ${fmt(t['ndcg@20'])} | ${r.users_evaluated} | ${r.train_seconds.toFixed(1)} | ${r.eval_seconds.toFixed(1)} |`,
    );
  }
  lines.push('');
  if (ctx.seedRuns.length > 1) {
    lines.push(
      `bundle_model row = mean over seeds ${ctx.seedRuns.map((r) => r.seed).join(', ')}; sample std: recall@20 ${fmt(ctx.seedStd['recall@20'])}, ndcg@20 ${fmt(ctx.seedStd['ndcg@20'])}. ` +
        'Per seed (test recall@20 / ndcg@20): ' +
        ctx.seedRuns.map((r) => `${r.seed}: ${fmt(r.metrics['recall@20'])} / ${fmt(r.metrics['ndcg@20'])}`).join('; ') +
        '.',
    );
    lines.push('');
  }
  lines.push('Tune columns: for `popularity` / `item_popularity_sum` plain tune numbers (nothing is fitted); for `user_knn` the tune numbers of the (variant, k) chosen on tune (optimistic by the selection); for `bundle_model` the **out-of-fold** numbers of 5-fold cross-validation over tune users (weights fitted on the other folds).');
  lines.push('');
  lines.push('## Models and chosen hyper-parameters');
  lines.push('');
  for (const r of ctx.reports) {
    if (r.model === 'bundle_model') {
      const fit = r.params.fit as Record<string, unknown>;
      lines.push(
        `- **bundle_model**: ${Object.keys(r.params.features as object).length} features (table below); l2 = ${String(fit.l2)} (${String(fit.l2_selected_by)}); ` +
          `user_knn feature ${JSON.stringify(r.params.user_knn_feature)}; SVD ${JSON.stringify(r.params.svd)}; co-occurrence ${JSON.stringify(r.params.cooccurrence)}; ` +
          `fit: ${String(fit.objective)}, ${String(fit.optimiser)}, ${String(fit.fitting_rows)} rows over ${String(fit.fitting_users)} tune users. Full parameters in personalized-bundle_model.json.`,
      );
    } else {
      lines.push(`- **${r.model}**: \`${JSON.stringify(r.params)}\``);
    }
  }
  lines.push('');
  lines.push(`## bundle_model fitted weights (final fit on all tune users, seed ${ctx.seedRuns[0]?.seed ?? ''})`);
  lines.push('');
  lines.push('| feature | definition | weight (standardized feature) | weight (raw feature) | feature mean | feature std | tune recall@20 alone | tune ndcg@20 alone |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const w of ctx.weightsTable) {
    const s = ctx.singleFeatureTune[w.feature] ?? {};
    lines.push(
      `| ${w.feature} | ${cell(w.definition)} | ${w.standardized.toFixed(4)} | ${w.raw.toFixed(4)} | ${w.mean.toFixed(4)} | ${w.std.toFixed(4)} | ${fmt(s['recall@20'])} | ${fmt(s['ndcg@20'])} |`,
    );
  }
  lines.push('');
  lines.push('Mean / std are over the fitting lists (positives, per-feature top candidates, random negatives), used only to standardize for the L2 penalty.');
  lines.push('');
  lines.push('### L2 selection (5-fold CV over tune users, out-of-fold full ranking)');
  lines.push('');
  lines.push('| l2 | recall@20 | ndcg@20 |');
  lines.push('|---|---|---|');
  const byL2 = Object.entries(ctx.cvByL2).sort((a, b) => Number(a[0]) - Number(b[0]));
  for (const [l2, m] of byL2) lines.push(`| ${l2} | ${fmt(m['recall@20'])} | ${fmt(m['ndcg@20'])} |`);
  lines.push('');
  lines.push('### user_knn selection grid (tune)');
  lines.push('');
  lines.push('| variant | k | tune recall@20 | tune ndcg@20 |');
  lines.push('|---|---|---|---|');
  for (const g of ctx.knnGrid) lines.push(`| ${g.variant} | ${g.k} | ${fmt(g.recall20)} | ${fmt(g.ndcg20)} |`);
  lines.push('');
  lines.push('## Notes');
  lines.push('');
  for (const n of ctx.notes) lines.push(`- ${n}`);
  lines.push('');
  lines.push(`Total run time: ${ctx.totalSeconds.toFixed(1)} s on ${ctx.reports[0]?.machine ?? machineDescription()}.`);
  lines.push('');
  const file = path.join(outDir, 'personalized.md');
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}
