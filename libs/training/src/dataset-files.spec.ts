import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DatasetFormatError, readDatasetDir } from './dataset-files';

describe('readDatasetDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-dataset-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const write = async (items: object[], events = 'user_id,item_id,ts,action\nu,i1,1,view\n') => {
    await fs.writeFile(path.join(dir, 'items.jsonl'), items.map((i) => JSON.stringify(i)).join('\n') + '\n');
    await fs.writeFile(path.join(dir, 'events.csv'), events);
  };

  it('reads attributes as the trainer names them: anonymous ids as text, a shop map as "key=value"', async () => {
    await write([
      { item_id: 'beauty', s3rec_attribute_ids: [173, 1] },
      { item_id: 'shop', title: 'Case', attributes: { fits: 'sku-1', color: 'red', empty: '' } },
      { item_id: 'plain', title: 'Plain' },
    ]);
    const { items } = await readDatasetDir(dir);
    expect(items.map((i) => i.attributes)).toEqual([['173', '1'], ['color=red', 'fits=sku-1'], undefined]);
  });

  it('names the line of an item without an id', async () => {
    await write([{ item_id: 'ok' }, { title: 'no id' }]);
    await expect(readDatasetDir(dir)).rejects.toThrow(new DatasetFormatError('items.jsonl line 2 has no item_id'));
  });
});
