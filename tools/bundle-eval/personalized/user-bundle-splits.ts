/**
 * Loads a normalized bundle dataset (BGCN / CrossCBR layout) for personalized
 * bundle recommendation: user–item events, bundle–item affiliation and the
 * dataset's own user–bundle train / tune / test splits, as CSR matrices over
 * dense indices.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CsrMatrix, csrFromCoordinates, transposeCsr } from '@recmesh/numerics';

export interface PersonalizedBundleData {
  readonly nUsers: number;
  readonly nBundles: number;
  readonly nItems: number;
  readonly userIds: readonly string[];
  readonly bundleIds: readonly string[];
  readonly itemIds: readonly string[];
  /** bundles × items (binary). */
  readonly bundleItems: CsrMatrix;
  /** items × bundles (binary). */
  readonly itemBundles: CsrMatrix;
  /** users × items from events.csv (binary). */
  readonly userItems: CsrMatrix;
  /** items × users. */
  readonly itemUsers: CsrMatrix;
  /** users × bundles, one per split (binary). */
  readonly train: CsrMatrix;
  readonly tune: CsrMatrix;
  readonly test: CsrMatrix;
  /** bundles × users of the training split. */
  readonly trainByBundle: CsrMatrix;
  readonly counts: {
    readonly userItemRows: number;
    readonly bundleItemPairs: number;
    readonly trainPairs: number;
    readonly tunePairs: number;
    readonly testPairs: number;
  };
}

class IdIndex {
  readonly ids: string[] = [];
  private readonly map = new Map<string, number>();
  indexOf(id: string, create: boolean): number {
    const known = this.map.get(id);
    if (known !== undefined) return known;
    if (!create) return -1;
    const next = this.ids.length;
    this.map.set(id, next);
    this.ids.push(id);
    return next;
  }
}

function readLines(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Reads a CSV with a header; returns the values of the named columns per row. */
function readCsvColumns(file: string, columns: readonly string[]): string[][] {
  const lines = readLines(file);
  if (lines.length === 0) throw new Error(`${file} is empty`);
  const header = lines[0].split(',').map((h) => h.trim());
  const at = columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new Error(`${file}: missing column ${c} (header: ${header.join(',')})`);
    return i;
  });
  const out: string[][] = [];
  for (let l = 1; l < lines.length; l++) {
    if (lines[l].length === 0) continue;
    const parts = lines[l].split(',');
    out.push(at.map((i) => parts[i].trim()));
  }
  return out;
}

/** `datasetDir` is the dataset folder (holding normalized/) or the normalized folder itself. */
export function loadPersonalizedBundleData(datasetDir: string): PersonalizedBundleData {
  const normalized = fs.existsSync(path.join(datasetDir, 'normalized', 'bundles.jsonl'))
    ? path.join(datasetDir, 'normalized')
    : datasetDir;
  const need = ['items.jsonl', 'events.csv', 'bundles.jsonl', 'user_bundle_train.csv', 'user_bundle_tune.csv', 'user_bundle_test.csv'];
  for (const f of need) {
    if (!fs.existsSync(path.join(normalized, f))) throw new Error(`missing ${path.join(normalized, f)}`);
  }

  const items = new IdIndex();
  for (const line of readLines(path.join(normalized, 'items.jsonl'))) {
    const row = JSON.parse(line) as { item_id: string | number };
    items.indexOf(String(row.item_id), true);
  }

  const bundles = new IdIndex();
  const biBundle: number[] = [];
  const biItem: number[] = [];
  for (const line of readLines(path.join(normalized, 'bundles.jsonl'))) {
    const row = JSON.parse(line) as { bundle_id: string | number; items: Array<string | number> };
    const b = bundles.indexOf(String(row.bundle_id), true);
    for (const it of row.items) {
      biBundle.push(b);
      biItem.push(items.indexOf(String(it), true));
    }
  }

  const users = new IdIndex();
  const uiUser: number[] = [];
  const uiItem: number[] = [];
  for (const [u, i] of readCsvColumns(path.join(normalized, 'events.csv'), ['user_id', 'item_id'])) {
    uiUser.push(users.indexOf(u, true));
    uiItem.push(items.indexOf(i, true));
  }

  const splitPairs = (name: string) => {
    const us: number[] = [];
    const bs: number[] = [];
    for (const [u, b] of readCsvColumns(path.join(normalized, `user_bundle_${name}.csv`), ['user_id', 'bundle_id'])) {
      const bi = bundles.indexOf(b, false);
      if (bi < 0) throw new Error(`user_bundle_${name}.csv: unknown bundle ${b}`);
      us.push(users.indexOf(u, true));
      bs.push(bi);
    }
    return { us, bs };
  };
  const trainPairs = splitPairs('train');
  const tunePairs = splitPairs('tune');
  const testPairs = splitPairs('test');

  const nUsers = users.ids.length;
  const nBundles = bundles.ids.length;
  const nItems = items.ids.length;
  const bundleItems = csrFromCoordinates(nBundles, nItems, biBundle, biItem, undefined, true);
  const userItems = csrFromCoordinates(nUsers, nItems, uiUser, uiItem, undefined, true);
  const train = csrFromCoordinates(nUsers, nBundles, trainPairs.us, trainPairs.bs, undefined, true);
  const tune = csrFromCoordinates(nUsers, nBundles, tunePairs.us, tunePairs.bs, undefined, true);
  const test = csrFromCoordinates(nUsers, nBundles, testPairs.us, testPairs.bs, undefined, true);
  return {
    nUsers,
    nBundles,
    nItems,
    userIds: users.ids,
    bundleIds: bundles.ids,
    itemIds: items.ids,
    bundleItems,
    itemBundles: transposeCsr(bundleItems),
    userItems,
    itemUsers: transposeCsr(userItems),
    train,
    tune,
    test,
    trainByBundle: transposeCsr(train),
    counts: {
      userItemRows: uiUser.length,
      bundleItemPairs: bundleItems.indices.length,
      trainPairs: train.indices.length,
      tunePairs: tune.indices.length,
      testPairs: test.indices.length,
    },
  };
}

/** Users with at least one entry in `split`, ascending. */
export function usersWithEntries(split: CsrMatrix): Int32Array {
  const out: number[] = [];
  for (let u = 0; u < split.nRows; u++) if (split.indptr[u + 1] > split.indptr[u]) out.push(u);
  return Int32Array.from(out);
}
