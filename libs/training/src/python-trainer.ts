import { spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

/** Train-and-export failed: the message says which step and ends with the tool's last output lines. */
export class TrainingFailedError extends Error {
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'TrainingFailedError';
  }
}

export interface TrainAndExport {
  /** A dataset folder (items.jsonl, events.csv) with the training events only. */
  readonly datasetDir: string;
  /** Scratch folder for checkpoints and logs. */
  readonly runDir: string;
  /** Where the servable model folder (recmesh-model/1) goes. */
  readonly modelDir: string;
  readonly modelVersion: string;
  /** Wall-clock budget for both steps; past it the tool is killed. */
  readonly budgetMs: number;
  readonly log: (line: string) => void;
}

export interface PythonTrainerOptions {
  /** The interpreter of tools/model's venv. */
  readonly python: string;
  /** The repository root (tools/model is found from it). */
  readonly root: string;
  /** Extra trainer flags, e.g. ["--epochs", "5"]. */
  readonly trainArgs?: readonly string[];
  /** The exported sentence encoder folder, bundled with text models. */
  readonly textEncoderDir?: string;
}

/**
 * tools/model's trainer and exporter as subprocesses (Python lives only in
 * tools/): their progress lines go to the log, one wall-clock budget covers
 * both, and a tool that overruns it is killed with its whole process group.
 */
export class PythonTrainer {
  constructor(private readonly options: PythonTrainerOptions) {}

  async trainAndExport(job: TrainAndExport): Promise<void> {
    const deadline = Date.now() + job.budgetMs;
    const { python, trainArgs = [], textEncoderDir } = this.options;
    await this.run('train', python, ['-m', 'recmesh_model.train', '--dataset-dir', job.datasetDir, '--out', job.runDir, ...trainArgs], deadline, job.log);
    await this.run(
      'export',
      python,
      ['-m', 'recmesh_model.export', '--checkpoint', path.join(job.runDir, 'checkpoint_best.pt'), '--out', job.modelDir, '--model-version', job.modelVersion, '--check', ...(textEncoderDir ? ['--text-encoder', textEncoderDir] : [])],
      deadline,
      job.log,
    );
  }

  private run(step: string, command: string, args: readonly string[], deadline: number, log: (line: string) => void): Promise<void> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return Promise.reject(new TrainingFailedError(`${step}: no time left in the training budget`, true));
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: this.options.root,
        env: { ...process.env, PYTHONPATH: path.join(this.options.root, 'tools/model'), PYTHONUNBUFFERED: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so a kill reaches the workers it started
      });
      const tail: string[] = [];
      const keep = (line: string) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        log(`${step}: ${line}`);
      };
      readline.createInterface({ input: child.stdout }).on('line', keep);
      readline.createInterface({ input: child.stderr }).on('line', keep);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, remaining);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new TrainingFailedError(`${step}: cannot run ${command}: ${error.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) reject(new TrainingFailedError(`${step}: killed after the training budget ran out`, true));
        else if (code === 0) resolve();
        else reject(new TrainingFailedError(`${step} exited with ${code ?? signal}:\n${tail.join('\n')}`));
      });
    });
  }
}
