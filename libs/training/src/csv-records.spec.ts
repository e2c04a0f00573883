import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readDatasetDir } from './dataset-files';
import { parseCsvRecord } from './csv-records';
import { writeTrainingSet } from './training-set';

describe('CSV records (RFC 4180, as the store export writes them)', () => {
  it('splits quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsvRecord('u1,"sku,1","say ""hi""",7,view')).toEqual(['u1', 'sku,1', 'say "hi"', '7', 'view']);
    expect(parseCsvRecord('a,"line\nbreak",')).toEqual(['a', 'line\nbreak', '']);
  });

  it('reads odd ids back exactly and keeps them intact in the training set', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-csv-'));
    try {
      await fs.writeFile(path.join(dir, 'items.jsonl'), '{"item_id":"sku,1"}\n{"item_id":"c\\"d"}\n');
      await fs.writeFile(path.join(dir, 'events.csv'), 'user_id,item_id,ts,action\n"u,1","sku,1",10,view\n"u\n2","c""d",20,purchase\nu3,plain,30,view\n');
      const { events } = await readDatasetDir(dir);
      expect(events).toEqual([
        { userId: 'u,1', itemId: 'sku,1', ts: 10, action: 'view' },
        { userId: 'u\n2', itemId: 'c"d', ts: 20, action: 'purchase' },
        { userId: 'u3', itemId: 'plain', ts: 30, action: 'view' },
      ]);
      expect(await writeTrainingSet(dir, path.join(dir, 'train'), 25)).toBe(2);
      expect((await readDatasetDir(path.join(dir, 'train'))).events).toEqual(events.slice(0, 2));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
