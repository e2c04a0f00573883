// One dataset's completion run: split, baselines, behaviour and text vectors, the fitted bundle
// model per variant and seed, the reports; then, on Youshu, the personalized task.
import * as fs from 'fs';
import * as path from 'path';
import { BundleFitReport, BundleModelWeights, CoPurchaseGraph, fitBundleModel, InMemoryComplementaritySources, ItemVectorTables, PAIR_FEATURE_NAMES, PairFeatureName } from '@recmesh/bundling';
import { SeededRng } from '@recmesh/numerics';
import { runPersonalizedBundleEval } from '../personalized-bundle-eval';
import { basketEmbeddings, DEFAULT_BEHAVIOUR_DIM } from './behaviour-vectors';
import { Cli, DatasetRef } from './cli';
import { loadDataset, splitBundles } from './dataset';
import { coOccurrenceScorer, consistencyCheck, evaluate, modelScorer, popularityScorer, RankingContext, RankingResult, unitMatrix } from './full-ranking';
import { log, ROOT, seconds } from './log';
import { markdown, ModelReport, modelReport, roundAll } from './report';
import { textEncoderDir, textVectors } from './text-vectors';

// Also checked on the validation split: the importance-weighted (logQ-corrected) sampled softmax of fitBundleModel lifts
// electronic bundle_model recall@10 from 0.361 to 0.432 and bundle_model_no_text from 0.239 to 0.318 over the plain one.
// Youshu behaviour vectors from training bundles (cross-fitted) instead of user_item: 0.121 vs 0.127 at width 64.

export async function runDataset(dataset: DatasetRef, cli: Cli): Promise<void> {
  const runStarted = Date.now();
  const { name } = dataset;
  const ds = loadDataset(dataset, cli);
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
  const reportContext = { dataset: name, split: splitInfo };

  // Baselines.
  const popularity = evaluate(ctx, split.queries, popularityScorer(ctx));
  reports.push(modelReport(reportContext, 'popularity', { score: 'number of training bundles holding the item' }, [cli.splitSeed], [popularity], graphSeconds));
  log(`popularity: recall@10 ${popularity.metrics['recall@10'].toFixed(4)} (${popularity.seconds.toFixed(1)} s)`);
  const cooc = evaluate(ctx, split.queries, coOccurrenceScorer(ctx));
  reports.push(
    modelReport(reportContext, 'co_occurrence', { score: 'sum over anchor items of training co-purchase counts; no tie-breaker (ties count against)' }, [cli.splitSeed], [cooc], graphSeconds),
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
      modelReport(
        reportContext,
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
    log(`personalized bundle recommendation: running ${path.relative(ROOT, path.join(__dirname, '..', 'personalized-bundle-eval.ts'))}`);
    await runPersonalizedBundleEval({ datasetDir: ds.dir, outDir, seed: cli.splitSeed });
  }
}
