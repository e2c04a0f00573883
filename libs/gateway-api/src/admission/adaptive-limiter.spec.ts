import { Registry } from 'prom-client';
import { AdmissionLimiter, AdmissionOptions, Rejection, Ticket } from './adaptive-limiter';
import { AdmissionMetrics } from './admission-metrics';
import { fixedAdmission } from './admission.config';

// Fake clock: jest's modern timers move Date.now and setTimeout together.
beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
// Thousands of fake timer steps per test: quick, but not within jest's default 5 s on a loaded machine.
jest.setTimeout(30_000);
afterEach(() => jest.useRealTimers());

const adaptive = (overrides: Partial<AdmissionOptions> = {}): AdmissionOptions => ({
  mode: 'adaptive', maxLimit: 256, minLimit: 2, initialLimit: 16, maxQueue: 64, maxQueueWaitMs: 1000, latencyTolerance: 2, minTargetLatencyMs: 0, ...overrides,
});

function ticketOf(admitted: Ticket | Rejection): Ticket {
  if (admitted instanceof Rejection) throw new Error(`expected a ticket, got ${admitted.reason}: ${admitted.message}`);
  return admitted;
}

/**
 * Closed-loop clients against a service whose latency `latencyMs()` says: each client admits a
 * call, waits for its slot, holds it for the latency, releases it 'ok' and goes again; a
 * rejected client backs off 10 ms. Returns the calls completed.
 */
async function drive(limiter: AdmissionLimiter, clients: number, durationMs: number, latencyMs: () => number): Promise<number> {
  const end = Date.now() + durationMs;
  let completed = 0;
  const client = async (): Promise<void> => {
    while (Date.now() < end) {
      const admitted = limiter.admit(Date.now() + 2000);
      if (admitted instanceof Rejection || (await admitted.ready)) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      await new Promise((r) => setTimeout(r, latencyMs()));
      admitted.release('ok');
      completed += 1;
    }
  };
  const all = Promise.all(Array.from({ length: clients }, client));
  await jest.advanceTimersByTimeAsync(durationMs + 3000);
  await all;
  return completed;
}

describe('AdmissionLimiter', () => {
  it('fixed mode is the old bound: maxLimit calls at once, the next refused at once with reason limit, a release frees a slot', () => {
    const limiter = new AdmissionLimiter(fixedAdmission(3));
    const tickets = [1, 2, 3].map(() => ticketOf(limiter.admit(Date.now() + 1000)));
    const refused = limiter.admit(Date.now() + 1000);
    expect(refused).toBeInstanceOf(Rejection);
    expect((refused as Rejection).reason).toBe('limit');
    expect((refused as Rejection).message).toContain('limit of 3 calls');
    tickets[0].release('ok');
    expect(limiter.admit(Date.now() + 1000)).not.toBeInstanceOf(Rejection);
    expect(limiter.limit).toBe(3);
  });

  it("tells a refused caller when to retry: the queue's drain time plus one call, jittered ±50 %, within 20 ms to 2 s", async () => {
    const fixed = new AdmissionLimiter(fixedAdmission(1));
    ticketOf(fixed.admit(Date.now() + 1000));
    expect((fixed.admit(Date.now() + 1000) as Rejection).retryAfterMs).toBe(20); // nothing measured: the floor

    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 4, maxLimit: 4, maxQueue: 8 }), undefined, () => Date.now());
    await drive(limiter, 20, 3000, () => 100);
    const service = limiter.latency.expectedServiceMs;
    expect(service).toBeCloseTo(100, -1);
    const held = Array.from({ length: limiter.limit + 8 }, () => ticketOf(limiter.admit(Date.now() + 10_000)));
    expect(limiter.waiting).toBe(8);
    const pushbacks: number[] = [];
    for (let i = 0; i < 50; i++) {
      const refused = limiter.admit(Date.now() + 10_000) as Rejection;
      expect(refused.reason).toBe('queue_full');
      pushbacks.push(refused.retryAfterMs);
    }
    const drainMs = (9 * service) / limiter.limit + service;
    expect(Math.min(...pushbacks)).toBeGreaterThanOrEqual(Math.floor(0.5 * drainMs));
    expect(Math.max(...pushbacks)).toBeLessThanOrEqual(Math.ceil(1.5 * drainMs));
    expect(new Set(pushbacks).size).toBeGreaterThan(10); // spread, so refused callers do not return together
    held.forEach((t) => t.release('ignored'));
  });

  it('shrinks the limit when latency rises well past the no-load latency, and grows it back when latency recovers', async () => {
    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 8, maxLimit: 100 }), undefined, () => Date.now());
    let latency = 10;
    await drive(limiter, 60, 4000, () => latency);
    const atNoLoad = limiter.limit;
    expect(atNoLoad).toBeGreaterThan(24); // latency stayed at the baseline: the limit grew with the demand
    expect(limiter.latency.baselineMs).toBeCloseTo(10, 0);

    latency = 60; // 6x the baseline, past the 2x tolerance
    await drive(limiter, 60, 2000, () => latency);
    const overloaded = limiter.limit;
    expect(overloaded).toBeLessThan(atNoLoad / 2.5);
    expect(overloaded).toBeGreaterThanOrEqual(2); // never below minLimit

    latency = 10;
    await drive(limiter, 60, 4000, () => latency);
    expect(limiter.limit).toBeGreaterThan(overloaded * 2);
    expect(limiter.inService).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it('doubles the limit per window while the calls fill it at no-load latency (slow start), then grows by about sqrt(limit) once latency has passed the target', async () => {
    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 16, maxLimit: 1024 }), undefined, () => Date.now());
    let latency = 10;
    await drive(limiter, 200, 1500, () => latency);
    // Additive growth alone would be near 16 + 2 x sqrt(16) x 1.5 s, about 30, after 1.5 s; doubling reaches the 200 clients.
    expect(limiter.limit).toBeGreaterThanOrEqual(200);
    expect(limiter.limit).toBeLessThanOrEqual(1024);

    latency = 60; // past the 2x tolerance: the limit shrinks and slow start is over
    await drive(limiter, 200, 2000, () => latency);
    const shrunk = limiter.limit;
    expect(shrunk).toBeLessThan(100);
    latency = 10;
    await drive(limiter, 200, 1000, () => latency);
    // About ten windows of + 0.2 x sqrt(limit) each, not ten doublings.
    expect(limiter.limit).toBeGreaterThan(shrunk);
    expect(limiter.limit).toBeLessThan(shrunk + 40);
  });

  it('dropped calls (deadline passed, backend overloaded) shrink the limit even at unchanged latency', async () => {
    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 32, maxLimit: 32, maxQueue: 0 }), undefined, () => Date.now());
    const end = Date.now() + 2000;
    const client = async (): Promise<void> => {
      while (Date.now() < end) {
        const admitted = limiter.admit(Date.now() + 2000);
        if (admitted instanceof Rejection) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        await new Promise((r) => setTimeout(r, 10));
        admitted.release('dropped');
      }
    };
    const all = Promise.all(Array.from({ length: 32 }, client));
    await jest.advanceTimersByTimeAsync(3000);
    await all;
    expect(limiter.limit).toBeLessThan(32 / 4);
  });

  it('rejects at once a call whose remaining deadline cannot cover the expected service time, or the expected wait plus it', async () => {
    const metrics = new AdmissionMetrics(new Registry());
    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 4, minLimit: 4, maxLimit: 4 }), metrics, () => Date.now());
    await drive(limiter, 8, 1000, () => 50); // learns ~50 ms per call
    expect(limiter.latency.expectedServiceMs).toBeGreaterThan(40);

    const busy = ticketOf(limiter.admit(Date.now() + 5000));
    const tooShort = limiter.admit(Date.now() + 20);
    busy.release('ignored');
    expect(tooShort).toBeInstanceOf(Rejection);
    expect((tooShort as Rejection).reason).toBe('deadline');
    expect((tooShort as Rejection).message).toMatch(/cannot answer within the call's deadline \(20 ms left, about \d+ ms needed/);

    const running = [1, 2, 3, 4].map(() => ticketOf(limiter.admit(Date.now() + 5000)));
    // Full: a waiter needs ~12.5 ms of wait (4 slots, 50 ms each, 1st in line) plus twice the 50 ms of service.
    const cannotWait = limiter.admit(Date.now() + 55);
    expect(cannotWait).toBeInstanceOf(Rejection);
    expect((cannotWait as Rejection).reason).toBe('deadline');
    const canWait = ticketOf(limiter.admit(Date.now() + 1000));
    expect(limiter.waiting).toBe(1);
    running[0].release('ok');
    await expect(canWait.ready).resolves.toBeUndefined();
    expect((await metrics.rejections.get()).values.find((v) => v.labels.reason === 'deadline')?.value).toBe(2);
    [...running.slice(1), canWait].forEach((t) => t.release('ok'));
    expect(limiter.inService).toBe(0);
  });

  it('refuses with queue_full beyond the queue bound, and beyond the queue-wait cap', async () => {
    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 2, minLimit: 2, maxLimit: 2, maxQueue: 3, maxQueueWaitMs: 10_000 }), undefined, () => Date.now());
    const tickets = [1, 2, 3, 4, 5].map(() => ticketOf(limiter.admit(Date.now() + 60_000)));
    const full = limiter.admit(Date.now() + 60_000);
    expect((full as Rejection).reason).toBe('queue_full');
    tickets.forEach((t) => t.release('ignored'));

    const capped = new AdmissionLimiter(adaptive({ initialLimit: 2, minLimit: 2, maxLimit: 2, maxQueueWaitMs: 30 }), undefined, () => Date.now());
    await drive(capped, 4, 1000, () => 50);
    const held = [1, 2].map(() => ticketOf(capped.admit(Date.now() + 60_000)));
    ticketOf(capped.admit(Date.now() + 60_000)).release('ignored'); // position 1: ~25 ms, under the cap (then leaves)
    const overCap = capped.admit(Date.now() + 60_000);
    expect(overCap).not.toBeInstanceOf(Rejection); // still position 1
    const second = capped.admit(Date.now() + 60_000); // position 2: ~50 ms > 30 ms cap
    expect((second as Rejection).reason).toBe('queue_full');
    expect((second as Rejection).message).toContain('over the 30 ms it lets calls wait');
    (overCap as Ticket).release('ignored');
    held.forEach((t) => t.release('ok'));
    expect(capped.inService).toBe(0);
  });

  it('serves waiting calls first come, first served', async () => {
    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 1, minLimit: 1, maxLimit: 1 }), undefined, () => Date.now());
    const first = ticketOf(limiter.admit(Date.now() + 60_000));
    const order: number[] = [];
    const waiting = [0, 1, 2, 3].map((i) => {
      const t = ticketOf(limiter.admit(Date.now() + 60_000));
      void t.ready.then(() => order.push(i));
      return t;
    });
    first.release('ok');
    for (const t of waiting) {
      await jest.advanceTimersByTimeAsync(1);
      t.release('ok');
    }
    await jest.advanceTimersByTimeAsync(1);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('turns a waiting call away with queue_timeout once its deadline can no longer be met', async () => {
    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 1, minLimit: 1, maxLimit: 1 }), undefined, () => Date.now());
    await drive(limiter, 2, 1000, () => 20);
    const held = ticketOf(limiter.admit(Date.now() + 60_000));
    const waiter = ticketOf(limiter.admit(Date.now() + 100));
    let outcome: Rejection | undefined | 'pending' = 'pending';
    void waiter.ready.then((r) => (outcome = r));
    await jest.advanceTimersByTimeAsync(50);
    expect(outcome).toBe('pending');
    await jest.advanceTimersByTimeAsync(20); // past the deadline less twice the ~20 ms of service
    expect(outcome).toBeInstanceOf(Rejection);
    expect((outcome as unknown as Rejection).reason).toBe('queue_timeout');
    expect(limiter.waiting).toBe(0);
    waiter.release('ignored'); // the call's own cleanup after the refusal: a no-op
    held.release('ok');
    expect(limiter.inService).toBe(0);
  });

  it('leaks no slot: a cancelled waiter leaves the queue, double releases and every outcome free exactly one slot', async () => {
    const metrics = new AdmissionMetrics(new Registry());
    const limiter = new AdmissionLimiter(adaptive({ initialLimit: 2, minLimit: 2, maxLimit: 2 }), metrics, () => Date.now());
    const a = ticketOf(limiter.admit(Date.now() + 60_000));
    const b = ticketOf(limiter.admit(Date.now() + 60_000));
    const cancelled = ticketOf(limiter.admit(Date.now() + 60_000));
    const next = ticketOf(limiter.admit(Date.now() + 60_000));
    expect(limiter.waiting).toBe(2);
    cancelled.release('ignored');
    await expect(cancelled.ready).resolves.toBeInstanceOf(Rejection);
    expect(limiter.waiting).toBe(1);
    a.release('dropped');
    a.release('ok'); // twice: no effect
    await expect(next.ready).resolves.toBeUndefined();
    expect(limiter.inService).toBe(2);
    b.release('ignored');
    next.release('ok');
    cancelled.release('ok');
    expect(limiter.inService).toBe(0);
    expect(limiter.waiting).toBe(0);
    expect((await metrics.running.get()).values[0].value).toBe(0);
    expect((await metrics.queued.get()).values[0].value).toBe(0);
    // All slots free again: two calls run at once.
    expect([1, 2].map(() => limiter.admit(Date.now() + 1000)).some((t) => t instanceof Rejection)).toBe(false);
  });
});
