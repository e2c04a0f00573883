/**
 * One CSV field as RFC 4180 writes it: quoted (with quotes doubled) only when it holds a comma, a
 * quote or a line break. Python's csv module, which the trainer reads events.csv with, reads it back
 * exactly. Ingest allows commas and quotes in ids (it refuses control characters only).
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvRow(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\n';
}
