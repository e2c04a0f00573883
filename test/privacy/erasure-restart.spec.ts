import { create, toBinary } from '@bufbuild/protobuf';
import { createGrpcClient, PrivacyService, UserErasureCommandSchema } from '@recmesh/contracts';
import { randomUUID } from 'crypto';
import { IngestScenario } from '../ingest/ingest-scenario';
import { produce } from '../support/kafka-io';
import { freePort, ServiceProcess } from '../support/service-process';
import { until } from '../support/until';

/** Enough rows that an erasure (200 DELETE statements of 1,000 rows) can be caught part-way. */
const ROWS = 200_000;

/**
 * Erasure survives a crash mid-way (issue 13, part 1), on a real Kafka broker and MariaDB: the
 * feedback service (which serves EraseUser and runs the erasure-command worker) is SIGKILLed
 * while it is part-way through a user's rows. A shop's command on recmesh.commands.erasure.v1 is
 * finished by the restarted worker without anyone asking again (its offset moves only once the
 * rows are gone); a gRPC call cut short fails, and the caller's retry finishes it.
 */
describe('erasure cut short by SIGKILL, on a real Kafka broker and MariaDB', () => {
  let scenario: IngestScenario;
  let privacy: ReturnType<typeof createGrpcClient<typeof PrivacyService>> | undefined;
  afterAll(async () => {
    privacy?.close();
    await scenario?.close();
  });

  const count = async (sql: string, params: unknown[]) => Number((await scenario.db.query<{ n: number }>(sql, params))[0].n);
  const eventsOf = (userId: string) => count('SELECT COUNT(*) AS n FROM clickstream_events WHERE user_id = ?', [userId]);
  const rowsOf = async (userId: string) => (await eventsOf(userId)) + (await count('SELECT COUNT(*) AS n FROM user_sequences WHERE user_id = ?', [userId]));

  /** `rows` stored events and a sequence for `userId`, written straight into the tables (how they got there is not what this test is about). */
  async function seed(userId: string, rows: number): Promise<void> {
    const tag = randomUUID().slice(0, 8);
    await scenario.db.query(
      `INSERT INTO clickstream_events (event_id, user_id, item_id, action, ts_ms, ingested_at_ms) SELECT CONCAT(?, seq), ?, CONCAT('sku-', seq MOD 500), 1, seq, seq FROM seq_1_to_${rows}`,
      [`${tag}-`, userId],
    );
    await scenario.db.query('INSERT INTO user_sequences (user_id, steps, updated_ts_ms) VALUES (?, ?, ?)', [userId, JSON.stringify([{ i: 'sku-1', a: 1, t: 1 }]), 1]);
  }

  /** Waits until an erasure has removed some of `userId`'s events, SIGKILLs the service, and returns how many were left. */
  async function killMidway(service: ServiceProcess, userId: string): Promise<number> {
    await until('the erasure under way', async () => ((await eventsOf(userId)) < ROWS ? true : undefined), 60_000, 5);
    service.kill('SIGKILL');
    await service.exited;
    return eventsOf(userId);
  }

  it("finishes a shop's erasure command after a restart, and a gRPC erasure on retry; other users keep every row", async () => {
    scenario = await IngestScenario.create();
    const env = { EXPERIMENTS_GRPC_PORT: String(await freePort()), PRIVACY_GRPC_PORT: String(await freePort()) };
    let feedback = await scenario.startService('feedback', 'FEEDBACK_PORT', env);
    const other = `keep-me-${randomUUID().slice(0, 8)}`;
    await seed(other, 1_000);

    // A shop's command: the worker is killed part-way; the restarted one finishes it unasked.
    const byCommand = `erase-cmd-${randomUUID().slice(0, 8)}`;
    await seed(byCommand, ROWS);
    const command = create(UserErasureCommandSchema, { requestId: randomUUID(), userId: byCommand, requestedAtMs: BigInt(Date.now()) });
    await produce(scenario.kafka, scenario.topics.erasureCommands, [{ key: byCommand, value: Buffer.from(toBinary(UserErasureCommandSchema, command)) }]);
    const leftByCommand = await killMidway(feedback, byCommand);
    expect(leftByCommand).toBeGreaterThan(0);
    expect(leftByCommand).toBeLessThan(ROWS);
    feedback = await scenario.startService('feedback', 'FEEDBACK_PORT', env);
    await until('the restarted worker finished the command', async () => ((await rowsOf(byCommand)) === 0 ? true : undefined), 120_000);
    expect(await feedback.metric('recmesh_privacy_erasures_total')).toBeGreaterThanOrEqual(1);

    // The admin API: the call cut short fails; the retry removes what was left, and a second retry nothing.
    const byGrpc = `erase-grpc-${randomUUID().slice(0, 8)}`;
    await seed(byGrpc, ROWS);
    privacy = createGrpcClient(PrivacyService, `127.0.0.1:${env.PRIVACY_GRPC_PORT}`);
    const cut = privacy.eraseUser({ userId: byGrpc }).then(() => undefined, (error: { code?: number }) => error);
    const leftByGrpc = await killMidway(feedback, byGrpc);
    expect(leftByGrpc).toBeGreaterThan(0);
    expect(leftByGrpc).toBeLessThan(ROWS);
    expect(await cut).toMatchObject({ code: 14 }); // UNAVAILABLE: the caller knows to retry
    const before = await rowsOf(byGrpc);
    await scenario.startService('feedback', 'FEEDBACK_PORT', env);
    const retry = await privacy.eraseUser({ userId: byGrpc });
    expect(Number(retry.rowsErased)).toBe(before);
    expect(await rowsOf(byGrpc)).toBe(0);
    expect(Number((await privacy.eraseUser({ userId: byGrpc })).rowsErased)).toBe(0);

    expect(await rowsOf(other)).toBe(1_001);
  }, 300_000);
});
