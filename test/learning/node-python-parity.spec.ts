/**
 * @jest-environment <rootDir>/../libs/model-runtime/onnx-jest-environment.js
 */
// (onnxruntime-node runs in this process: its typed arrays must pass the test realm's instanceof checks.)
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { builtTextEncoderDir, SequentialRecommenderModel } from '@recmesh/model-runtime';
import { evaluateOnHoldout, leaveOneOutSplit, PythonEvalReport, PythonTrainer, readDatasetDir, trainFlagsFromReport, trainSummaryFromLog } from '@recmesh/training';

// Issue 11: the served Node path (ONNX export, onnxruntime-node, evaluateOnHoldout) on the
// EVAL-PROTOCOL leave-one-out holdout reaches the committed Python report's NDCG@10 within 10%, and
// agrees with Python's own test metrics of the same checkpoint. bench:learning records the full-size figure.
const ROOT = path.resolve(__dirname, '../..');
const DATASET = path.resolve(ROOT, '../shared/datasets/amazon_scientific_unisrec/normalized');
const REPORT = path.join(ROOT, 'reports/model/amazon_scientific_unisrec/transformer_side.json');
const PYTHON = path.join(ROOT, 'tools/model/.venv/bin/python');
// The report's runs early-stop after ~160 s on a 2-core machine (best epoch 4-5, then 5 epochs of
// patience), so a 4-minute cap instead of its 10 only bites on a slower or busy machine: there it keeps
// CI's wall time by cutting epochs, which costs NDCG only if it stops before the best epoch.
// (On this machine under load it stopped after epoch 4 of 9: the same best checkpoint.)
const CAP_MINUTES = 4;

describe('served Node model vs the Python report (Amazon Scientific, leave-one-out)', () => {
  beforeAll(() => {
    // CI's model step builds the venv first; without it this test cannot train and says so.
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run tools/model/setup-venv.sh (CI's model step does)`);
  });

  it('reaches the report\'s NDCG@10 within 10% and matches Python\'s test metrics of the same checkpoint', async () => {
    const report = JSON.parse(await fs.readFile(REPORT, 'utf8')) as PythonEvalReport;
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-parity-'));
    const lines: string[] = [];
    try {
      const t0 = Date.now();
      const trainer = new PythonTrainer({ python: PYTHON, root: ROOT, textEncoderDir: builtTextEncoderDir(), trainArgs: [...trainFlagsFromReport(report.params, CAP_MINUTES), '--seed', String(report.seeds[0]), '--test'] });
      await trainer.trainAndExport({
        datasetDir: DATASET, runDir: path.join(work, 'run'), modelDir: path.join(work, 'model'), modelVersion: 'parity', budgetMs: (CAP_MINUTES + 5) * 60_000,
        log: (line) => {
          lines.push(line);
          if (/ epoch \d+ loss /.test(line)) console.info(line);
        },
      });
      const trainAndExportSeconds = (Date.now() - t0) / 1000;
      const python = trainSummaryFromLog(lines);

      const { items, events } = await readDatasetDir(DATASET);
      const model = await SequentialRecommenderModel.load(path.join(work, 'model'), { preferCuda: false, textEncoderDir: builtTextEncoderDir() });
      const t1 = Date.now();
      const node = await evaluateOnHoldout(model, leaveOneOutSplit(events, items.map((i) => i.itemId)), items).finally(() => model.release());
      const nodeEvalSeconds = (Date.now() - t1) / 1000;

      const reportNdcg = report.metrics['ndcg@10'];
      const rel = (a: number, b: number) => Math.abs(a - b) / b;
      console.info(
        `parity: node ndcg@10 ${node.ndcgAt10.toFixed(4)} recall@10 ${node.recallAt10.toFixed(4)} (${node.usersEvaluated} users, ${nodeEvalSeconds.toFixed(0)} s); ` +
          `python same checkpoint ndcg@10 ${python.test['ndcg@10'].toFixed(4)} recall@10 ${python.test['recall@10'].toFixed(4)} ` +
          `(relative diff ${(100 * rel(node.ndcgAt10, python.test['ndcg@10'])).toFixed(3)}% / ${(100 * rel(node.recallAt10, python.test['recall@10'])).toFixed(3)}%); ` +
          `report ${reportNdcg.toFixed(4)}, node/report ${(node.ndcgAt10 / reportNdcg).toFixed(3)}; ` +
          `train ${python.train_seconds.toFixed(0)} s (${python.stopped}, best epoch ${python.best_epoch}), train+export ${trainAndExportSeconds.toFixed(0)} s`,
      );
      // Same holdout as Python's: the same users, tail and cold targets.
      expect({ users: node.usersEvaluated, tail: node.tailUsers, cold: node.coldUsers }).toEqual({ users: python.test.users, tail: python.test.tail_users, cold: python.test.cold_users });
      // The served export scores like the checkpoint (float32 ONNX vs torch; ties count against the model in both).
      expect(rel(node.ndcgAt10, python.test['ndcg@10'])).toBeLessThan(0.02);
      expect(rel(node.recallAt10, python.test['recall@10'])).toBeLessThan(0.02);
      // The deliverable: within 10% of the committed report.
      expect(rel(node.ndcgAt10, reportNdcg)).toBeLessThanOrEqual(0.1);
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }, 15 * 60_000);
});
