/**
 * Every problem found while loading a model directory surfaces as this error, rejected from the async
 * load: the message names the file and what is wrong with it, so an operator can fix the export.
 */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';

  constructor(
    /** Path of the offending file or directory. */
    readonly file: string,
    /** What is wrong with it, in words. */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT';
}
