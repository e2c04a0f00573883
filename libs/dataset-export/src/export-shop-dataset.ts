import { createHash, Hash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { Action, ActionNames } from '@recmesh/contracts';
import { categoryLabel } from '@recmesh/model-runtime';
import { CatalogItemRecord, CatalogStore, ClickstreamEventStore, ClickstreamExportCursor } from '@recmesh/persistence';
import { csvRow } from './csv';

export const ITEMS_FILE = 'items.jsonl';
export const EVENTS_FILE = 'events.csv';
export const EXPORT_MANIFEST_FILE = 'export.json';
export const EVENTS_HEADER = 'user_id,item_id,ts,action\n';

/** Rows read per query. 5,000 keeps a page under a few MB and the per-query overhead small (see README for throughput). */
export const DEFAULT_EXPORT_PAGE_SIZE = 5_000;

export interface ExportOptions {
  readonly outDir: string;
  /** Inclusive lower bound on ts_ms; default 0 (the beginning). */
  readonly fromMs?: number;
  /** Exclusive upper bound on ts_ms; default the time the export starts. */
  readonly toMs?: number;
  /** Rows per query (events and items); default DEFAULT_EXPORT_PAGE_SIZE. */
  readonly pageSize?: number;
  /** Called after each page of events is written. */
  readonly onProgress?: (progress: { readonly items: number; readonly events: number }) => void;
  readonly now?: () => number;
}

export interface ExportedFile {
  readonly sha256: string;
  readonly bytes: number;
}

/** What export.json holds. */
export interface ExportSummary {
  readonly format: 'recmesh-normalized-dataset/1';
  /** sha256 over the bytes of items.jsonl followed by events.csv (Python: data.file_sha256([items, events])). */
  readonly fingerprint: string;
  readonly window: { readonly fromMs: number; readonly toMs: number; readonly from: string; readonly to: string };
  readonly counts: {
    readonly items: number;
    readonly events: number;
    readonly users: number;
    /** Events kept whose item is deleted or unknown to the catalog: the trainer adds such items without metadata. */
    readonly eventsOnItemsNotExported: number;
    /** Events left out because their action has no name the trainer knows (ingest never stores such events). */
    readonly eventsSkippedUnknownAction: number;
  };
  readonly files: { readonly 'items.jsonl': ExportedFile; readonly 'events.csv': ExportedFile };
  readonly exportedAtMs: number;
  readonly durationMs: number;
}

export class DatasetExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetExportError';
  }
}

/** Writes to NAME.partial, hashing the bytes on the way; `commit` renames it into place. */
class HashedFile {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private constructor(
    private readonly handle: fs.FileHandle,
    private readonly partial: string,
    private readonly target: string,
    private readonly combined: Hash,
  ) {}

  /** `combined` also sees every byte: files written one after the other give sha256 of their concatenation. */
  static async open(target: string, combined: Hash): Promise<HashedFile> {
    const partial = `${target}.partial`;
    return new HashedFile(await fs.open(partial, 'w'), partial, target, combined);
  }

  async write(text: string): Promise<void> {
    if (text === '') return;
    const chunk = Buffer.from(text, 'utf8');
    this.hash.update(chunk);
    this.combined.update(chunk);
    this.bytes += chunk.length;
    await this.handle.write(chunk);
  }

  async commit(): Promise<ExportedFile> {
    await this.handle.close();
    await fs.rename(this.partial, this.target);
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.partial, { force: true });
  }
}

function itemLine(item: CatalogItemRecord): string {
  return (
    JSON.stringify({
      item_id: item.itemId,
      title: item.title || null,
      // The same label serving encodes cold items with (model-runtime's categoryLabel), so train and serve text match.
      category: categoryLabel(item.categoryPath) || null,
      leaf_category: item.leafCategory || null,
      category_path: item.categoryPath,
      brand: item.brand || null,
      price: item.price,
      currency: item.currency || null,
      in_stock: item.inStock === 1,
      attributes: item.attributes ?? {},
    }) + '\n'
  );
}

function checkOptions(options: ExportOptions, now: number): { fromMs: number; toMs: number; pageSize: number } {
  const fromMs = options.fromMs ?? 0;
  const toMs = options.toMs ?? now;
  const pageSize = options.pageSize ?? DEFAULT_EXPORT_PAGE_SIZE;
  const problems: string[] = [];
  if (!options.outDir) problems.push('outDir is required');
  if (!Number.isSafeInteger(fromMs) || fromMs < 0) problems.push(`fromMs=${fromMs} is not a non-negative integer of milliseconds`);
  if (!Number.isSafeInteger(toMs) || toMs < 0) problems.push(`toMs=${toMs} is not a non-negative integer of milliseconds`);
  if (problems.length === 0 && fromMs >= toMs) problems.push(`the window is empty: from ${new Date(fromMs).toISOString()} is not before to ${new Date(toMs).toISOString()}`);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) problems.push(`pageSize=${pageSize} is not a positive integer`);
  if (problems.length > 0) throw new DatasetExportError(`invalid export options: ${problems.join('; ')}`);
  return { fromMs, toMs, pageSize };
}

/**
 * Exports the store to the normalized dataset format that tools/model reads (../shared/datasets):
 * items.jsonl (the live catalog, deleted items left out), events.csv (user_id,item_id,ts,action for
 * fromMs <= ts_ms < toMs, ts in unix seconds) and export.json (fingerprint, counts, window).
 *
 * Events are written grouped by user in (user_id, ts_ms, event_id) order. ts is rounded down to the
 * second, so events of one user within a second tie on ts; the trainer sorts each user's events
 * stably by ts, so the file order (ts_ms, then event_id) decides, deterministically.
 *
 * Memory is bounded by one page of rows plus the set of exported item ids (for the count of events on
 * items not exported): both tables are read with keyset pagination, never whole. The catalog is its
 * current state, not its state at toMs. Events stored while the export runs appear when their key
 * sorts after the page being read; none is read twice or skipped.
 */
export async function exportShopDataset(dataSource: DataSource, options: ExportOptions): Promise<ExportSummary> {
  const clock = options.now ?? Date.now;
  const startedAtMs = clock();
  const { fromMs, toMs, pageSize } = checkOptions(options, startedAtMs);
  await fs.mkdir(options.outDir, { recursive: true });
  // A manifest only ever describes the files next to it: the old one goes first, the new one comes last.
  await fs.rm(path.join(options.outDir, EXPORT_MANIFEST_FILE), { force: true });

  const catalog = new CatalogStore(dataSource);
  const clickstream = new ClickstreamEventStore(dataSource);
  // items.jsonl is written whole before events.csv starts, so this is sha256(items bytes || events bytes).
  const fingerprint = createHash('sha256');
  const itemsFile = await HashedFile.open(path.join(options.outDir, ITEMS_FILE), fingerprint);
  const eventsFile = await HashedFile.open(path.join(options.outDir, EVENTS_FILE), fingerprint);
  try {
    const exportedItems = new Set<string>();
    for (let after: string | null = null; ; ) {
      const page = await catalog.liveItemsPage(after, pageSize);
      if (page.length === 0) break;
      await itemsFile.write(page.map(itemLine).join(''));
      for (const item of page) exportedItems.add(item.itemId);
      after = page[page.length - 1].itemId;
      if (page.length < pageSize) break;
    }

    let events = 0;
    let users = 0;
    let onItemsNotExported = 0;
    let skippedUnknownAction = 0;
    let lastUser: string | undefined;
    await eventsFile.write(EVENTS_HEADER);
    for (let after: ClickstreamExportCursor | null = null; ; ) {
      const page = await clickstream.exportPage({ fromMs, toMs }, after, pageSize);
      if (page.length === 0) break;
      let chunk = '';
      for (const e of page) {
        const action = ActionNames[e.action as Exclude<Action, Action.UNSPECIFIED>] as string | undefined;
        if (action === undefined) {
          skippedUnknownAction++;
          continue;
        }
        if (e.userId !== lastUser) {
          users++;
          lastUser = e.userId;
        }
        if (!exportedItems.has(e.itemId)) onItemsNotExported++;
        chunk += csvRow([e.userId, e.itemId, String(Math.floor(e.tsMs / 1000)), action]);
        events++;
      }
      await eventsFile.write(chunk);
      options.onProgress?.({ items: exportedItems.size, events });
      after = page[page.length - 1];
      if (page.length < pageSize) break;
    }

    const files = { 'items.jsonl': await itemsFile.commit(), 'events.csv': await eventsFile.commit() };
    const summary: ExportSummary = {
      format: 'recmesh-normalized-dataset/1',
      fingerprint: fingerprint.digest('hex'),
      window: { fromMs, toMs, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
      counts: { items: exportedItems.size, events, users, eventsOnItemsNotExported: onItemsNotExported, eventsSkippedUnknownAction: skippedUnknownAction },
      files,
      exportedAtMs: startedAtMs,
      durationMs: clock() - startedAtMs,
    };
    await fs.writeFile(path.join(options.outDir, EXPORT_MANIFEST_FILE), JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } catch (error) {
    await Promise.all([itemsFile.abandon(), eventsFile.abandon()]);
    throw error;
  }
}

/** The export as the retraining job calls it: a window of the store into a folder, with its fingerprint and counts. */
export function windowExporter(dataSource: DataSource): (outDir: string, window: { fromMs: number; toMs: number }) => Promise<{ fingerprint: string; events: number; items: number }> {
  return async (outDir, window) => {
    const summary = await exportShopDataset(dataSource, { outDir, fromMs: window.fromMs, toMs: window.toMs });
    return { fingerprint: summary.fingerprint, events: summary.counts.events, items: summary.counts.items };
  };
}
