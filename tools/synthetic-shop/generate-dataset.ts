/**
 * Writes the synthetic shop in the normalized dataset format (items.jsonl +
 * events.csv) that tools/model trains on.
 * Usage: node tools/run-ts.js tools/synthetic-shop/generate-dataset.ts --out DIR [--items N] [--users N] [--seed N]
 */
import { generateSyntheticShop, writeNormalizedDataset } from '@recmesh/synthetic-shop';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function intArg(name: string, fallback: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got ${raw}`);
    process.exit(2);
  }
  return n;
}

const out = arg('out');
if (!out) {
  console.error('usage: generate-dataset.ts --out DIR [--items N] [--users N] [--seed N]');
  process.exit(2);
}
const shop = generateSyntheticShop({ seed: intArg('seed', 42), items: intArg('items', 2000), users: intArg('users', 3000) });
writeNormalizedDataset(shop, out);
console.log(`wrote ${shop.items.length} items and ${shop.events.length} events to ${out}`);
