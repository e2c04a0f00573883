import { createReadStream, promises as fs } from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { createGunzip } from 'zlib';
import { attributeNames } from '@recmesh/model-runtime';
import { csvRecords } from './csv-records';

/** One row of events.csv (the normalized dataset format: user_id,item_id,ts,action). */
export interface DatasetEvent {
  readonly userId: string;
  readonly itemId: string;
  readonly ts: number;
  readonly action: string;
}

/** One line of items.jsonl: what side information the model can use for an item. */
export interface DatasetItem {
  readonly itemId: string;
  readonly title?: string;
  readonly category?: string;
  readonly brand?: string;
  /** Anonymous attribute ids as text, or a shop's attributes as "key=value" (the names a model's side_info.attributes uses). */
  readonly attributes?: readonly string[];
}

export class DatasetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetFormatError';
  }
}

async function* lines(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file);
  const input = file.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) if (line.trim() !== '') yield line;
}

async function firstExisting(dir: string, names: readonly string[]): Promise<string> {
  for (const name of names) {
    const file = path.join(dir, name);
    if (await fs.stat(file).then(() => true, () => false)) return file;
  }
  throw new DatasetFormatError(`${dir} has none of ${names.join(', ')}`);
}

/** An item's attributes as the trainer reads them (data.py `_attributes_of`): anonymous ids, else the shop's map. */
function attributesOf(row: Record<string, unknown>): string[] | undefined {
  const ids = row.attribute_ids ?? row.s3rec_attribute_ids;
  if (Array.isArray(ids) && ids.length > 0) return ids.map((id) => String(id));
  const shop = row.attributes;
  if (typeof shop === 'object' && shop !== null && !Array.isArray(shop)) return attributeNames(Object.fromEntries(Object.entries(shop).filter((e): e is [string, string] => typeof e[1] === 'string')));
  return undefined;
}

/** Reads a dataset folder (a store export or one of ../shared/datasets/*\/normalized): items.jsonl and events.csv[.gz]. */
export async function readDatasetDir(dir: string): Promise<{ items: DatasetItem[]; events: DatasetEvent[] }> {
  const items: DatasetItem[] = [];
  let n = 0;
  for await (const line of lines(await firstExisting(dir, ['items.jsonl']))) {
    n++;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new DatasetFormatError(`items.jsonl line ${n} is not JSON`);
    }
    if (typeof row.item_id !== 'string' || row.item_id === '') throw new DatasetFormatError(`items.jsonl line ${n} has no item_id`);
    const text = (key: string) => (typeof row[key] === 'string' && row[key] !== '' ? (row[key] as string) : undefined);
    items.push({ itemId: row.item_id, title: text('title'), category: text('category'), brand: text('brand'), attributes: attributesOf(row) });
  }
  const events: DatasetEvent[] = [];
  n = 0;
  let columns: Record<string, number> | undefined;
  for await (const { fields, raw } of csvRecords(await firstExisting(dir, ['events.csv', 'events.csv.gz']))) {
    n++;
    if (!columns) {
      columns = Object.fromEntries(fields.map((c, i) => [c.trim(), i]));
      for (const c of ['user_id', 'item_id', 'ts']) if (columns[c] === undefined) throw new DatasetFormatError(`events.csv has no ${c} column (header: ${raw})`);
      continue;
    }
    const ts = Number(fields[columns.ts]);
    if (fields.length !== Object.keys(columns).length || !Number.isFinite(ts)) throw new DatasetFormatError(`events.csv record ${n} is malformed: ${raw.slice(0, 200)}`);
    events.push({ userId: fields[columns.user_id], itemId: fields[columns.item_id], ts, action: columns.action === undefined ? 'view' : fields[columns.action] });
  }
  if (events.length === 0) throw new DatasetFormatError(`${dir}/events.csv has no events`);
  return { items, events };
}
