import { createReadStream } from 'fs';
import * as readline from 'readline';
import { createGunzip } from 'zlib';

/** Splits one RFC 4180 record ("a,""b"",c" -> a, "b", c); the record may span lines. */
export function parseCsvRecord(record: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const c = record[i];
    if (quoted) {
      if (c === '"' && record[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** Records of a CSV file (plain or .gz), each with its fields and its raw text (to copy it unchanged). */
export async function* csvRecords(file: string): AsyncGenerator<{ fields: string[]; raw: string }> {
  const stream = createReadStream(file);
  const input = file.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
  let pending: string | undefined;
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    const raw = pending === undefined ? line : `${pending}\n${line}`;
    // An odd number of quotes so far: a quoted field holds a line break, the record goes on.
    if ((raw.match(/"/g)?.length ?? 0) % 2 === 1) {
      pending = raw;
      continue;
    }
    pending = undefined;
    if (raw.trim() !== '') yield { fields: parseCsvRecord(raw), raw };
  }
  if (pending !== undefined) throw new Error(`${file} ends inside a quoted field`);
}
