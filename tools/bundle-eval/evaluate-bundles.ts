// Offline bundle-completion evaluation (../shared/EVAL-PROTOCOL.md, "Bundle tasks"):
//   npm run eval:bundles -- --dataset bundle_youshu | bundle_amazon_intent_sun2022/electronic | bundle_amazon_intent_sun2022/clothing | all | PATH
//   (PATH: any folder with bundles.jsonl in it or in its normalized/ subfolder, relative to the repo root)
// Options: --datasets-dir DIR (default ../shared/datasets from the repo root), --reports DIR (or --out DIR; default reports/bundles),
//   --seeds 1,2,3 (fit seeds), --split-seed 42, --validate (hold out 20% of the TRAINING bundles instead of the test
//   split and write under <out>/<dataset>/validation: for design choices; the test split is never looked at),
//   --behaviour auto|bundles|user_item|none, --behaviour-dim N (default: 256 on Youshu, 64 elsewhere; chosen with
//   --validate), --leaf deepest|first, --no-personalized, --help.
//
// With a fixed seed, 20% of the bundles are held out; from each held-out bundle one item (seeded) is hidden and the
// rest is the anchor; every catalog item outside the anchor is ranked (ties count against the model). Every statistic
// (co-purchase counts, popularity, behaviour vectors, fitted weights) comes from the 80% training bundles only, plus,
// for Youshu, its user–item interactions (independent of the bundles). The Amazon intent sets' events.csv rows ARE the
// bundle rows, so they are not used at all there.
//
// The parts, in completion/: cli (flags), dataset (loading and the split), behaviour-vectors (PPMI + randomized SVD),
// text-vectors (MiniLM, cached), full-ranking (scorers and metrics), report (JSON and markdown), run-dataset (one run).
import { HELP, parseCli } from './completion/cli';
import { runDataset } from './completion/run-dataset';

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (!cli) {
    console.log(HELP);
    return;
  }
  for (const dataset of cli.datasets) await runDataset(dataset, cli);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  if (error instanceof Error && process.env.DEBUG) console.error(error.stack);
  process.exit(1);
});
