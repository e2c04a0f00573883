import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { Action, ActionNames } from '@recmesh/contracts';
import { CatalogStore, ClickstreamEventRow, ClickstreamEventStore, openStore } from '@recmesh/persistence';
import { csvField } from './csv';
import { DatasetExportError, exportShopDataset, ExportSummary } from './export-shop-dataset';

const REPO = path.resolve(__dirname, '../../..');
const T0 = 1_764_000_000_000;

let seq = 0;
const event = (userId: string, itemId: string, tsMs: number, action = Action.VIEW, eventId = `e${String(++seq).padStart(5, '0')}`): ClickstreamEventRow => ({
  eventId, userId, sessionId: 's', itemId, action, quantity: 1, price: null, currency: '', rating: null, tsMs, recId: '', context: null, ingestedAtMs: tsMs,
});
const item = (itemId: string, title = `Item ${itemId}`) => ({
  itemId, title, description: 'long text', categoryPath: ['Electronics', 'Phones'], brand: 'Acme', price: 199.5, currency: 'EUR', inStock: 1, attributes: { color: 'black' }, updatedTsMs: T0,
});

/** A strict RFC 4180 reader (what Python's csv module accepts), so the test does not trust the writer's own escaping. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') {
      if (field !== '') throw new Error(`stray quote at ${i}`);
      quoted = true;
    } else if (c === ',' || c === '\n') {
      row.push(field);
      field = '';
      if (c === '\n') {
        rows.push(row);
        row = [];
      }
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) throw new Error('last row has no line end');
  return rows;
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
const eventRows = (dir: string) => parseCsv(read(dir, 'events.csv'));
const itemLines = (dir: string) => read(dir, 'items.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('exportShopDataset on the embedded store', () => {
  let ds: DataSource;
  let events: ClickstreamEventStore;
  let catalog: CatalogStore;
  let tmp: string;
  const out = (name: string) => path.join(tmp, name);

  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    events = new ClickstreamEventStore(ds);
    catalog = new CatalogStore(ds);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataset-export-'));
  });
  afterEach(async () => {
    await ds.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('writes each user in time order, ties by event id, with the trainer\'s action names and unix seconds', async () => {
    await catalog.insertItems([item('i1'), item('i2'), item('i3')]);
    // Stored out of order, two users interleaved, a tie on ts_ms broken by event_id, a tie on the second kept by ts_ms.
    await events.storeBatch([
      event('u2', 'i1', T0 + 5_000, Action.PURCHASE, 'b'),
      event('u1', 'i2', T0 + 2_000, Action.ADD_TO_CART, 'z'),
      event('u1', 'i1', T0 + 1_000, Action.VIEW, 'y'),
      event('u2', 'i2', T0 + 5_000, Action.RATE, 'a'),
      event('u1', 'i3', T0 + 2_000, Action.CLICK, 'x'),
      event('u1', 'i1', T0 + 2_900, Action.REMOVE_FROM_CART, 'w'),
    ]);
    const summary = await exportShopDataset(ds, { outDir: out('a'), fromMs: T0, toMs: T0 + 10_000 });
    const sec = String((T0 / 1000) | 0);
    const plus = (s: number) => String(Number(sec) + s);
    expect(eventRows(out('a'))).toEqual([
      ['user_id', 'item_id', 'ts', 'action'],
      ['u1', 'i1', plus(1), 'view'],
      ['u1', 'i3', plus(2), 'click'],
      ['u1', 'i2', plus(2), 'add_to_cart'],
      ['u1', 'i1', plus(2), 'remove_from_cart'],
      ['u2', 'i2', plus(5), 'rate'],
      ['u2', 'i1', plus(5), 'purchase'],
    ]);
    expect(summary.counts).toEqual({ items: 3, events: 6, users: 2, eventsOnItemsNotExported: 0, eventsSkippedUnknownAction: 0 });
  });

  it('exports only events in [from, to) and only live items, counting events on items it left out', async () => {
    await catalog.insertItems([item('keep'), item('gone')]);
    await catalog.applyBatch([{ eventId: 'c1', itemId: 'gone', kind: 'delete', tsMs: T0 + 1, payload: '{}', ingestedAtMs: T0 + 1 }], [{ kind: 'delete', eventId: 'c1', tsMs: T0 + 1, itemId: 'gone' }]);
    await events.storeBatch([
      event('u1', 'keep', T0 - 1),
      event('u1', 'keep', T0),
      event('u1', 'gone', T0 + 500),
      event('u1', 'keep', T0 + 999),
      event('u1', 'keep', T0 + 1000),
    ]);
    const summary = await exportShopDataset(ds, { outDir: out('w'), fromMs: T0, toMs: T0 + 1000 });
    expect(eventRows(out('w')).slice(1).map((r) => r[1])).toEqual(['keep', 'gone', 'keep']);
    expect(itemLines(out('w'))).toEqual([
      {
        item_id: 'keep', title: 'Item keep', category: 'Electronics > Phones', leaf_category: 'Phones', category_path: ['Electronics', 'Phones'],
        brand: 'Acme', price: 199.5, currency: 'EUR', in_stock: true, attributes: { color: 'black' },
      },
    ]);
    expect(summary.counts).toMatchObject({ items: 1, events: 3, users: 1, eventsOnItemsNotExported: 1 });
    expect(summary.window).toEqual({ fromMs: T0, toMs: T0 + 1000, from: new Date(T0).toISOString(), to: new Date(T0 + 1000).toISOString() });
  });

  it('quotes ids holding commas, quotes or line breaks so that an RFC 4180 reader gets them back exactly', async () => {
    const odd = ['a,b', 'say "hi"', 'two\nlines', '"', ' padded ', 'ünïcödé ✓'];
    await catalog.insertItems(odd.map((id) => item(id, `title of ${id}`)));
    await events.storeBatch(odd.map((id, n) => event(`user ${id}`, id, T0 + n * 1000)));
    await exportShopDataset(ds, { outDir: out('q'), fromMs: T0, toMs: T0 + 60_000 });
    const rows = eventRows(out('q')).slice(1);
    expect(rows.map((r) => r.length)).toEqual(odd.map(() => 4));
    expect(new Set(rows.map((r) => `${r[0]}|${r[1]}`))).toEqual(new Set(odd.map((id) => `user ${id}|${id}`)));
    expect(itemLines(out('q')).map((i) => i.item_id).sort()).toEqual([...odd].sort());
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,"b"')).toBe('"a,""b"""');
  });

  it('gives the same bytes whatever the page size, across many page boundaries and ties', async () => {
    const rows: ClickstreamEventRow[] = [];
    for (let u = 0; u < 7; u++) for (let k = 0; k < 9; k++) rows.push(event(`u${u}`, `i${(u * 3 + k) % 5}`, T0 + Math.floor(k / 3) * 1000, Action.VIEW, `ev-${u}-${8 - k}`));
    await catalog.insertItems([0, 1, 2, 3, 4].map((i) => item(`i${i}`)));
    await events.storeBatch(rows.reverse());
    const small = await exportShopDataset(ds, { outDir: out('p2'), fromMs: T0, toMs: T0 + 10_000, pageSize: 2 });
    const odd = await exportShopDataset(ds, { outDir: out('p7'), fromMs: T0, toMs: T0 + 10_000, pageSize: 7 });
    const big = await exportShopDataset(ds, { outDir: out('pb'), fromMs: T0, toMs: T0 + 10_000 });
    expect(read(out('p2'), 'events.csv')).toBe(read(out('pb'), 'events.csv'));
    expect(read(out('p7'), 'items.jsonl')).toBe(read(out('pb'), 'items.jsonl'));
    expect([small.fingerprint, odd.fingerprint]).toEqual([big.fingerprint, big.fingerprint]);
    expect(big.counts).toMatchObject({ events: 63, users: 7, items: 5 });
    // Within a user: by ts_ms, then by event id (ev-u-8 .. ev-u-0 were given to k = 0 .. 8).
    const expected = [...rows].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : a.tsMs - b.tsMs || (a.eventId < b.eventId ? -1 : 1)));
    expect(eventRows(out('p2')).slice(1).map((r) => `${r[0]} ${r[1]}`)).toEqual(expected.map((e) => `${e.userId} ${e.itemId}`));
  });

  it('fingerprints the bytes of both files: stable for the same data, different after a change', async () => {
    await catalog.insertItems([item('i1')]);
    await events.storeBatch([event('u1', 'i1', T0)]);
    const window = { fromMs: T0, toMs: T0 + 10_000 };
    const a = await exportShopDataset(ds, { outDir: out('f1'), ...window });
    const b = await exportShopDataset(ds, { outDir: out('f2'), ...window, now: () => T0 + 1e9 });
    expect(b.fingerprint).toBe(a.fingerprint);
    const bytes = Buffer.concat([fs.readFileSync(path.join(out('f1'), 'items.jsonl')), fs.readFileSync(path.join(out('f1'), 'events.csv'))]);
    expect(a.fingerprint).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(a.files['events.csv'].sha256).toBe(createHash('sha256').update(fs.readFileSync(path.join(out('f1'), 'events.csv'))).digest('hex'));
    const manifest = JSON.parse(read(out('f1'), 'export.json')) as ExportSummary;
    expect(manifest.fingerprint).toBe(a.fingerprint);
    expect(manifest.counts.events).toBe(1);
    expect(fs.readdirSync(out('f1')).sort()).toEqual(['events.csv', 'export.json', 'items.jsonl']);

    await events.storeBatch([event('u1', 'i1', T0 + 1)]);
    expect((await exportShopDataset(ds, { outDir: out('f3'), ...window })).fingerprint).not.toBe(a.fingerprint);
    await catalog.insertItems([item('i2')]);
    await events.storeBatch([event('u1', 'i1', T0 + 20_000)]); // outside the window: only the new item changes the bytes
    const d = await exportShopDataset(ds, { outDir: out('f4'), ...window });
    expect(d.files['events.csv'].sha256).not.toBe(a.files['events.csv'].sha256);
    expect(d.files['items.jsonl'].sha256).not.toBe(a.files['items.jsonl'].sha256);
  });

  it('writes the column format the trainer parses: header, integer seconds, its action names, one JSON item per line', async () => {
    // tools/model/recmesh_model/__init__.py: ACTION_TYPES, whose order gives the action ids (unknown names silently become "view").
    const init = fs.readFileSync(path.join(REPO, 'tools/model/recmesh_model/__init__.py'), 'utf8');
    const trainerActions = JSON.parse(/ACTION_TYPES\s*=\s*(\[[^\]]*\])/.exec(init)![1]) as string[];
    expect(Object.values(ActionNames).sort()).toEqual([...trainerActions].sort());
    await catalog.insertItems([item('i1')]);
    await events.storeBatch(Object.keys(ActionNames).map((a, n) => event('u1', 'i1', T0 + n * 1234, Number(a) as Action)));
    await exportShopDataset(ds, { outDir: out('c'), fromMs: T0, toMs: T0 + 60_000 });
    const [header, ...rows] = eventRows(out('c'));
    expect(header).toEqual(['user_id', 'item_id', 'ts', 'action']);
    for (const [, , ts, action] of rows) {
      expect(ts).toMatch(/^\d+$/);
      expect(trainerActions).toContain(action);
    }
    for (const line of read(out('c'), 'items.jsonl').trimEnd().split('\n')) {
      const rec = JSON.parse(line) as Record<string, unknown>;
      expect(typeof rec.item_id).toBe('string');
      expect(typeof rec.title).toBe('string');
      expect(typeof rec.category).toBe('string');
    }
  });

  // The trainer's venv (tools/model/README.md); RECMESH_MODEL_PYTHON names another interpreter with numpy.
  const venvPython = process.env.RECMESH_MODEL_PYTHON || path.join(REPO, 'tools/model/.venv/bin/python');
  (fs.existsSync(venvPython) ? it : it.skip)('loads with the trainer\'s own reader (when tools/model/.venv exists)', async () => {
    await catalog.insertItems([item('a,b'), item('c"d'), item('plain')]);
    await events.storeBatch([
      event('u,1', 'plain', T0 + 2000, Action.PURCHASE), event('u,1', 'a,b', T0 + 1000, Action.VIEW), event('u,1', 'c"d', T0 + 1500, Action.ADD_TO_CART),
      event('u2', 'gone', T0 + 10),
    ]);
    await exportShopDataset(ds, { outDir: out('py'), fromMs: T0, toMs: T0 + 60_000 });
    const script = [
      'import json, sys',
      'from recmesh_model.data import load_dataset',
      'd = load_dataset(sys.argv[1])',
      'print(json.dumps({"users": d.user_ids, "items": d.item_ids, "titles": d.titles, "cats": d.categories,',
      '  "seqs": [[d.item_ids[r - 1] for r in s.tolist()] for s in d.seqs], "acts": [a.tolist() for a in d.acts], "fp": d.fingerprint()}))',
    ].join('\n');
    const got = JSON.parse(execFileSync(venvPython, ['-c', script, out('py')], { env: { ...process.env, PYTHONPATH: path.join(REPO, 'tools/model') }, encoding: 'utf8' })) as Record<string, unknown>;
    expect(got.users).toEqual(['u,1', 'u2']);
    expect(got.seqs).toEqual([['a,b', 'c"d', 'plain'], ['gone']]);
    expect(got.acts).toEqual([[1, 3, 5], [1]]); // view, add_to_cart, purchase in ACTION_TYPES order
    expect(got.items).toEqual(['a,b', 'c"d', 'plain', 'gone']);
    expect(got.cats).toEqual(['Electronics > Phones', 'Electronics > Phones', 'Electronics > Phones', null]);
    expect(got.fp).toBe(JSON.parse(read(out('py'), 'export.json')).files['events.csv'].sha256);
  });

  it('writes an empty but well-formed dataset from an empty store', async () => {
    const summary = await exportShopDataset(ds, { outDir: out('e'), fromMs: 0, toMs: T0 });
    expect(read(out('e'), 'events.csv')).toBe('user_id,item_id,ts,action\n');
    expect(read(out('e'), 'items.jsonl')).toBe('');
    expect(summary.counts).toEqual({ items: 0, events: 0, users: 0, eventsOnItemsNotExported: 0, eventsSkippedUnknownAction: 0 });
  });

  it('refuses an empty window, bad bounds and a bad page size with one clear error, writing nothing', async () => {
    await expect(exportShopDataset(ds, { outDir: out('x'), fromMs: T0, toMs: T0 })).rejects.toThrow(/window is empty: from 2025-11-24T16:00:00.000Z is not before to 2025-11-24T16:00:00.000Z/);
    await expect(exportShopDataset(ds, { outDir: out('x'), fromMs: -1, toMs: 1.5, pageSize: 0 })).rejects.toThrow(
      new DatasetExportError('invalid export options: fromMs=-1 is not a non-negative integer of milliseconds; toMs=1.5 is not a non-negative integer of milliseconds; pageSize=0 is not a positive integer'),
    );
    await expect(exportShopDataset(ds, { outDir: '' })).rejects.toThrow(/outDir is required/);
    expect(fs.existsSync(out('x'))).toBe(false);
  });
});
