export class UsageError extends Error {}

export const USAGE = [
  'usage: npm run export -- --out DIR [--from TIME] [--to TIME] [--page-size N]',
  '  TIME is ISO 8601 (2025-11-01, 2025-11-01T12:00:00Z) or unix milliseconds; the window is [from, to),',
  '  from defaults to the beginning and to to now. Reads the store the services use: RECMESH_PROFILE=kafka-mysql',
  '  with MYSQL_URL, or the embedded profile with EMBEDDED_DB_FILE (the in-memory embedded store lives only',
  '  inside a running service, so there is nothing to export without one of them).',
].join('\n');

export interface ExportArgs {
  readonly outDir: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly pageSize?: number;
}

// Date-only or date-time with optional seconds, fraction and zone: what Date.parse reads reliably.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Unix milliseconds or an ISO 8601 time (date-only and zone-less times are UTC); undefined when it is neither. */
export function parseTime(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
  if (!ISO_8601.test(value)) return undefined;
  const ms = Date.parse(/T\d{2}:\d{2}(:[\d.]+)?$/.test(value) ? `${value}Z` : value);
  // Date.parse rolls 2025-02-30 over to March; a date that does not come back unchanged is refused.
  if (!Number.isFinite(ms) || ms < 0 || (!/[+-]\d{2}:\d{2}$/.test(value) && !new Date(ms).toISOString().startsWith(value.slice(0, 10)))) return undefined;
  return ms;
}

/** Parses the flags, reporting every problem at once. */
export function parseExportArgs(argv: readonly string[]): ExportArgs {
  const values = new Map<string, string>();
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    const m = /^--(out|from|to|page-size)(?:=(.*))?$/.exec(arg);
    if (!m) {
      problems.push(`unknown argument "${arg}"`);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '' || (m[2] === undefined && value.startsWith('--'))) {
      problems.push(`--${m[1]} needs a value`);
      if (value?.startsWith('--')) i--;
      continue;
    }
    if (values.has(m[1])) problems.push(`--${m[1]} is given twice`);
    values.set(m[1], value);
  }
  const time = (flag: 'from' | 'to') => {
    const raw = values.get(flag);
    if (raw === undefined) return undefined;
    const ms = parseTime(raw);
    if (ms === undefined) problems.push(`--${flag} "${raw}" is neither ISO 8601 (e.g. 2025-11-01T00:00:00Z) nor unix milliseconds`);
    return ms;
  };
  const outDir = values.get('out');
  if (outDir === undefined) problems.push('--out DIR is required');
  const fromMs = time('from');
  const toMs = time('to');
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    problems.push(`--from ${new Date(fromMs).toISOString()} is not before --to ${new Date(toMs).toISOString()}`);
  }
  const rawPage = values.get('page-size');
  const pageSize = rawPage === undefined ? undefined : Number(rawPage);
  if (pageSize !== undefined && (!Number.isSafeInteger(pageSize) || pageSize < 1)) problems.push(`--page-size "${rawPage}" is not a positive integer`);
  if (problems.length > 0) throw new UsageError(`${problems.join('\n')}\n${USAGE}`);
  return { outDir: outDir as string, fromMs, toMs, pageSize };
}
