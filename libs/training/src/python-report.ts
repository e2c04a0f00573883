/** The parts of a tools/model evaluation report (reports/model/<dataset>/<model>.json) that retraining reads. */
export interface PythonEvalReport {
  readonly params: Record<string, string | number | boolean | null>;
  readonly seeds: readonly number[];
  readonly metrics: Record<string, number>;
  readonly metrics_std?: Record<string, number>;
  readonly per_seed?: ReadonlyArray<Record<string, number>>;
}

/** What `recmesh_model.train --test` prints last: the run's summary and the best checkpoint's test metrics. */
export interface TrainSummary {
  readonly train_seconds: number;
  readonly stopped: string;
  readonly best_epoch: number;
  readonly test: Record<string, number>;
}

/** Fields of a report's params that describe the run rather than set a flag. */
const DERIVED_PARAMS = new Set(['loss', 'uses_text']);

/**
 * A report's params as `recmesh_model.train` flags, so a run repeats the reported one: booleans as
 * switches, null (no limit) left out. `maxMinutes` caps the wall-clock budget below the report's.
 */
export function trainFlagsFromReport(params: PythonEvalReport['params'], maxMinutes = Number.POSITIVE_INFINITY): string[] {
  const flags: string[] = [];
  const minutes = Math.min(params.max_minutes === null || params.max_minutes === undefined ? Number.POSITIVE_INFINITY : Number(params.max_minutes), maxMinutes);
  const capped: PythonEvalReport['params'] = { ...params, max_minutes: Number.isFinite(minutes) ? minutes : null };
  for (const [key, value] of Object.entries(capped)) {
    if (DERIVED_PARAMS.has(key) || value === null || value === false) continue;
    const name = `--${key.replace(/_/g, '-')}`;
    flags.push(...(value === true ? [name] : [name, String(value)]));
  }
  return flags;
}

/** The JSON summary among PythonTrainer's log lines ("train: ..."): its top-level braces start a line. */
export function trainSummaryFromLog(lines: readonly string[]): TrainSummary {
  const start = lines.lastIndexOf('train: {');
  const end = lines.indexOf('train: }', start);
  if (start < 0 || end < 0) throw new Error(`no JSON summary in the trainer's output:\n${lines.slice(-20).join('\n')}`);
  return JSON.parse(lines.slice(start, end + 1).map((l) => l.slice('train: '.length)).join('\n')) as TrainSummary;
}
