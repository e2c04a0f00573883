import { createHash } from 'crypto';
import { createReadStream, promises as fs } from 'fs';
import * as path from 'path';
import { errorMessage, isNotFound, ModelLoadError } from './model-load-error';
import { ModelManifest } from './model-manifest';

/** Absolute path of a file listed in the manifest (or `expectedBy`); throws ModelLoadError when it is missing. */
export async function requireModelFile(dir: string, name: string, expectedBy = 'listed in manifest.json'): Promise<string> {
  const file = path.join(dir, name);
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new ModelLoadError(file, 'is not a regular file');
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    const problem = isNotFound(e) ? `file is missing (${expectedBy})` : `cannot read (${errorMessage(e)})`;
    throw new ModelLoadError(file, problem, { cause: e });
  }
  return file;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  // Streamed: the text encoder is ~90 MB and should not be held in memory just to be hashed.
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks that every file listed in the manifest exists and has the recorded sha256, so that a
 * truncated copy or a half-written export is refused before onnxruntime sees it.
 */
export async function verifyModelFiles(dir: string, manifest: ModelManifest, checkSha256: boolean): Promise<void> {
  for (const name of Object.values(manifest.files)) {
    if (name === null) continue;
    const file = await requireModelFile(dir, name);
    if (!checkSha256) continue;
    let actual: string;
    try {
      actual = await sha256OfFile(file);
    } catch (e) {
      throw new ModelLoadError(file, `cannot read (${errorMessage(e)})`, { cause: e });
    }
    const expected = manifest.sha256[name];
    if (actual !== expected) {
      throw new ModelLoadError(file, `sha256 mismatch: the file is corrupt or not the exported one (manifest ${expected}, file ${actual})`);
    }
  }
}
