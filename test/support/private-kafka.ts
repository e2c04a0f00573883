import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { freePort } from './service-process';

const run = promisify(execFile);
const KAFKA_SH = path.resolve(__dirname, '../../tools/infra/kafka.sh');

/** A Kafka broker of the test's own (tools/infra/kafka.sh on free ports, private data folder): fault tests stop it, never the shared one on :9092. */
export class PrivateKafka {
  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly brokers: string[],
  ) {}

  static async start(): Promise<PrivateKafka> {
    const [kafkaPort, controllerPort] = await Promise.all([freePort(), freePort()]);
    const env = { ...process.env, RECMESH_RUN: fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-kafka-')), KAFKA_PORT: String(kafkaPort), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_HEAP_OPTS: '-Xmx384m -Xms128m' };
    const broker = new PrivateKafka(env, [`127.0.0.1:${kafkaPort}`]);
    await broker.up();
    return broker;
  }

  async up(): Promise<void> {
    await run('bash', [KAFKA_SH, 'start'], { env: this.env, timeout: 120_000 });
  }

  async stop(): Promise<void> {
    await run('bash', [KAFKA_SH, 'stop'], { env: this.env, timeout: 60_000 });
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    fs.rmSync(this.env.RECMESH_RUN!, { recursive: true, force: true });
  }
}
