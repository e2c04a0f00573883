import { createWriteStream, promises as fs } from 'fs';
import * as path from 'path';
import { once } from 'events';
import { csvRecords } from './csv-records';

/**
 * The training part of a time split as a dataset folder: the same items, and
 * only the events before the cutoff (ts in the file's unit), streamed line by line.
 */
export async function writeTrainingSet(datasetDir: string, outDir: string, cutoffTs: number): Promise<number> {
  await fs.mkdir(outDir, { recursive: true });
  await fs.copyFile(path.join(datasetDir, 'items.jsonl'), path.join(outDir, 'items.jsonl'));
  const out = createWriteStream(path.join(outDir, 'events.csv'));
  let tsColumn = -1;
  let kept = 0;
  for await (const { fields, raw } of csvRecords(path.join(datasetDir, 'events.csv'))) {
    if (tsColumn < 0) {
      tsColumn = fields.indexOf('ts');
      if (tsColumn < 0) throw new Error(`${datasetDir}/events.csv has no ts column`);
    } else if (!(Number(fields[tsColumn]) < cutoffTs)) {
      continue;
    } else {
      kept++;
    }
    // The record as it was (quoting included), so ids with commas or quotes reach the trainer intact.
    if (!out.write(`${raw}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return kept;
}
