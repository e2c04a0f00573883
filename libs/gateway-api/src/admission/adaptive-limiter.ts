import type { AdmissionMetrics } from './admission-metrics';

/**
 * Why a call was turned away before it ran:
 * limit: every slot busy and waiting is off (fixed mode, or GATEWAY_ADMISSION_MAX_QUEUE=0);
 * queue_full: the wait queue is at its bound, or its expected wait is over the queue-wait cap;
 * deadline: the call's remaining deadline cannot cover the expected wait plus service time;
 * queue_timeout: it waited, but no slot freed in time for its deadline or the queue-wait cap.
 */
export type RejectionReason = 'limit' | 'queue_full' | 'deadline' | 'queue_timeout';

export class Rejection {
  constructor(
    readonly reason: RejectionReason,
    readonly message: string,
    /**
     * When a retry could find a slot (ms; 0: no advice), sent as gRPC's `grpc-retry-pushback-ms`
     * trailer, which clients with a retry policy (grpc-js, grpc-go, grpc-java) wait out before
     * retrying: refused callers spread out instead of coming straight back.
     */
    readonly retryAfterMs = 0,
  ) {}
}

/**
 * How a running call ended, for the latency signal: `ok` is a latency sample; `dropped` (deadline
 * passed, backend overloaded) says the limit is too high; `ignored` (cancelled by the client, a
 * request error answered at once) says nothing about capacity and must not bend the baseline.
 */
export type ReleaseOutcome = 'ok' | 'dropped' | 'ignored';

export interface Ticket {
  /** Resolves when the call may run (undefined), or with the Rejection if it waited in vain. */
  readonly ready: Promise<Rejection | undefined>;
  /** Ends the ticket exactly once: a waiting call leaves the queue, a running one frees its slot. Later calls do nothing. */
  release(outcome: ReleaseOutcome): void;
}

export interface AdmissionOptions {
  /** fixed: the old behaviour, `maxLimit` calls at once, no waiting, no latency signal. */
  readonly mode: 'fixed' | 'adaptive';
  /** Hard ceiling on calls running at once (GATEWAY_MAX_IN_FLIGHT); the adaptive limit never passes it. */
  readonly maxLimit: number;
  readonly minLimit: number;
  readonly initialLimit: number;
  /** Calls allowed to wait for a slot (0 = reject at once when full). */
  readonly maxQueue: number;
  /** A call is queued only if its expected wait is at most this. */
  readonly maxQueueWaitMs: number;
  /** The limit shrinks once window latency passes this multiple of the no-load latency (e.g. 2)... */
  readonly latencyTolerance: number;
  /**
   * ...or this latency, whichever is higher. A batching backend (the scorer) needs concurrency,
   * hence latency, well above its no-load latency to reach its peak throughput.
   */
  readonly minTargetLatencyMs: number;
  /** How often the no-load latency is measured again (the limit pinned to minLimit for a few calls). Default 30 s. */
  readonly probeIntervalMs?: number;
  /** Length of a measurement window; the limit moves once per window. Default 100 ms. */
  readonly windowMs?: number;
  /** Samples a window needs before it counts (short of a full window it keeps filling). Default 10. */
  readonly minWindowSamples?: number;
}

interface Waiter {
  readonly deadlineMs: number;
  readonly enqueuedMs: number;
  resolve: (rejection: Rejection | undefined) => void;
  timer?: NodeJS.Timeout;
  state: 'waiting' | 'running' | 'over';
  grantedMs: number;
  /** Granted during a no-load probe: its latency is a no-load sample. */
  probe?: boolean;
}

/** Growth goes a fifth of the way to the new limit per window, so one fast window cannot flood the backend. */
const SMOOTHING = 0.2;
/** No-load samples a probe takes (their median is the no-load latency). */
const PROBE_SAMPLES = 10;
const PROBE_GIVE_UP_MS = 2000;
const SERVICE_MARGIN = 2;
/** Bounds of the retry pushback: never an instant retry, never a caller parked for long. */
const MIN_PUSHBACK_MS = 20;
const MAX_PUSHBACK_MS = 2000;
/** Limit multiplier for a window in which calls were dropped (AIMD's multiplicative decrease). */
const DROP_BACKOFF = 0.9;
const DROP_SHARE = 0.05;

/**
 * Admission by measured capacity: a gradient concurrency limit in the style of Netflix's
 * concurrency-limits (Gradient2) and Envoy's adaptive concurrency filter. The no-load latency is
 * measured by probes (at start, then every `probeIntervalMs`: the limit pinned to minLimit for a
 * few calls, as Envoy does), never learned from loaded windows, which would let it drift up under
 * sustained overload. Each window compares its mean latency with the target, max(`latencyTolerance`
 * x no-load, `minTargetLatencyMs`): above it the limit shrinks, below it grows by about sqrt(limit)
 * (doubling per window at first, until latency first passes the target: slow start). Calls over the
 * limit wait in a bounded FIFO queue, but only when the expected wait (position / measured
 * throughput) plus the expected service time fits their remaining deadline; otherwise they are
 * rejected synchronously, so a rejection costs microseconds and no work is wasted on calls that
 * would time out anyway. FIFO (not LIFO) so the wait estimate a call was admitted on holds.
 */
export class AdmissionLimiter {
  private limitValue: number;
  private running = 0;
  private readonly queue: Waiter[] = [];
  private baselineMs = Number.POSITIVE_INFINITY;
  /** While probing: the limit to return to, and the no-load samples so far. */
  private probe?: { resumeLimit: number; samples: number[]; startedMs: number };
  private nextProbeMs: number;
  /** Smoothed window mean latency: the expected service time of the next call. */
  private expectedServiceMs = 0;
  private window = { startMs: 0, samples: 0, sumMs: 0, drops: 0, peakRunning: 0 };
  private readonly windowMs: number;
  private readonly minWindowSamples: number;
  /**
   * Until the first window over target (or with drops), a window that used the whole limit at
   * no-load latency doubles it, as TCP's slow start does: growing by sqrt(limit) per window alone
   * takes a fresh gateway about 6 s to go from 32 to 128 calls, seconds of queueing at a load it can carry.
   */
  private slowStart: boolean;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly metrics?: AdmissionMetrics,
    private readonly clock: () => number = Date.now,
  ) {
    this.windowMs = options.windowMs ?? 100;
    this.minWindowSamples = options.minWindowSamples ?? 10;
    this.limitValue = options.mode === 'fixed' ? options.maxLimit : clamp(options.initialLimit, this.floor(), options.maxLimit);
    this.slowStart = options.mode === 'adaptive';
    this.window.startMs = clock();
    this.nextProbeMs = options.mode === 'adaptive' ? clock() : Number.POSITIVE_INFINITY;
    this.publish();
  }

  get limit(): number {
    return this.probe ? this.floor() : Math.floor(this.limitValue);
  }

  get inService(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** The latency the limit is steering by (ms): no-load baseline and expected service time. */
  get latency(): { baselineMs: number; expectedServiceMs: number } {
    return { baselineMs: this.baselineMs, expectedServiceMs: this.expectedServiceMs };
  }

  /** Decides synchronously: a Ticket (running now or waiting) or a Rejection. `deadlineMs` is epoch ms. */
  admit(deadlineMs: number): Ticket | Rejection {
    const now = this.clock();
    this.probeCheck(now);
    const remaining = deadlineMs - now;
    // With nothing running the estimate may be stale (and would refuse every call, so never be
    // corrected): an idle gateway lets the call try.
    if (this.options.mode === 'adaptive' && this.running > 0 && this.expectedServiceMs > 0 && remaining < this.expectedServiceMs) {
      return this.reject('deadline', `gateway cannot answer within the call's deadline (${Math.round(remaining)} ms left, about ${Math.round(this.expectedServiceMs)} ms needed at current load); retry with backoff or a longer deadline`);
    }
    const waiter: Waiter = { deadlineMs, enqueuedMs: now, resolve: () => undefined, state: 'waiting', grantedMs: now };
    const ready = new Promise<Rejection | undefined>((resolve) => (waiter.resolve = resolve));
    const ticket: Ticket = { ready, release: (outcome) => this.release(waiter, outcome) };
    if (this.queue.length === 0 && this.running < this.limit) {
      this.start(waiter, now);
      return ticket;
    }
    if (this.options.mode === 'fixed' || this.options.maxQueue === 0) {
      return this.reject('limit', `gateway is serving its limit of ${this.limit} calls; retry with backoff`);
    }
    if (this.queue.length >= this.options.maxQueue) {
      return this.reject('queue_full', `gateway is serving its limit of ${this.limit} calls and ${this.queue.length} are waiting; retry with backoff`);
    }
    const expectedWait = this.expectedWaitMs(this.queue.length + 1);
    if (expectedWait > this.options.maxQueueWaitMs) {
      return this.reject('queue_full', `gateway is overloaded: a slot would free in about ${Math.round(expectedWait)} ms, over the ${this.options.maxQueueWaitMs} ms it lets calls wait; retry with backoff`);
    }
    if (expectedWait + this.serviceAllowanceMs() > remaining) {
      return this.reject('deadline', `gateway cannot answer within the call's deadline (${Math.round(remaining)} ms left, about ${Math.round(expectedWait + this.serviceAllowanceMs())} ms needed at current load); retry with backoff or a longer deadline`);
    }
    // Give up waiting when the call could no longer be served in time, or the wait cap is reached.
    const giveUpAt = Math.min(deadlineMs - this.serviceAllowanceMs(), now + this.options.maxQueueWaitMs);
    waiter.timer = setTimeout(() => this.expire(waiter), Math.max(0, giveUpAt - now));
    this.queue.push(waiter);
    this.publish();
    return ticket;
  }

  /**
   * Service time a waiting call must have left when it starts: twice the mean, as calls run slower
   * than the mean about half the time, and one started too late is work wasted on a timeout.
   */
  private serviceAllowanceMs(): number {
    return SERVICE_MARGIN * this.expectedServiceMs;
  }

  /** Expected wait of the call at queue position `position` (1 = next): calls ahead / measured throughput (a probe is brief: not counted). */
  private expectedWaitMs(position: number): number {
    return this.expectedServiceMs > 0 ? (position * this.expectedServiceMs) / Math.max(1, Math.floor(this.limitValue)) : 0;
  }

  /**
   * Starts a no-load probe when one is due: new calls are let in only while fewer than minLimit
   * run, and their latencies are the no-load samples. A probe that gets too few samples within
   * PROBE_GIVE_UP_MS (calls that all end as request errors, say) gives up until the next one.
   */
  private probeCheck(now: number): void {
    if (this.options.mode !== 'adaptive') return;
    if (!this.probe && now >= this.nextProbeMs) this.probe = { resumeLimit: this.limitValue, samples: [], startedMs: now };
    else if (this.probe && now - this.probe.startedMs > PROBE_GIVE_UP_MS) this.endProbe(now);
  }

  private start(waiter: Waiter, now: number): void {
    waiter.state = 'running';
    waiter.grantedMs = now;
    waiter.probe = this.probe !== undefined;
    this.running += 1;
    this.window.peakRunning = Math.max(this.window.peakRunning, this.running);
    waiter.resolve(undefined);
    this.publish();
  }

  private release(waiter: Waiter, outcome: ReleaseOutcome): void {
    if (waiter.state === 'over') return;
    const wasRunning = waiter.state === 'running';
    waiter.state = 'over';
    clearTimeout(waiter.timer);
    if (!wasRunning) {
      // Left the queue (cancelled, or its call's deadline timer fired): nothing learned.
      this.removeFromQueue(waiter);
      waiter.resolve(new Rejection('queue_timeout', 'call ended while waiting for a slot'));
      this.publish();
      return;
    }
    this.running -= 1;
    const now = this.clock();
    this.probeCheck(now);
    if (outcome !== 'ignored' && this.options.mode === 'adaptive') {
      if (waiter.probe && this.probe) {
        if (outcome === 'ok') this.probeSample(now - waiter.grantedMs, now); // a timed-out call is no no-load sample
      }
      else if (!waiter.probe && !this.probe) this.sample(now - waiter.grantedMs, outcome === 'dropped', now);
    }
    this.drain(now);
    this.publish();
  }

  private expire(waiter: Waiter): void {
    if (waiter.state !== 'waiting') return;
    waiter.state = 'over';
    this.removeFromQueue(waiter);
    const waited = this.clock() - waiter.enqueuedMs;
    this.metrics?.rejections.inc({ reason: 'queue_timeout' });
    waiter.resolve(new Rejection('queue_timeout', `gateway is overloaded: waited ${Math.round(waited)} ms and no slot of its ${this.limit} freed in time for the call's deadline; retry with backoff`, this.pushbackMs()));
    this.publish();
  }

  /** Hands freed slots to the queue's head; a head whose deadline can no longer be met is turned away instead. */
  private drain(now: number): void {
    while (this.queue.length > 0 && this.running < this.limit) {
      const head = this.queue.shift() as Waiter;
      clearTimeout(head.timer);
      if (head.deadlineMs - now < this.serviceAllowanceMs()) {
        head.state = 'over';
        this.metrics?.rejections.inc({ reason: 'queue_timeout' });
        head.resolve(new Rejection('queue_timeout', `gateway is overloaded: waited ${Math.round(now - head.enqueuedMs)} ms and too little of the call's deadline is left to serve it; retry with backoff`, this.pushbackMs()));
        continue;
      }
      this.start(head, now);
    }
  }

  private probeSample(latencyMs: number, now: number): void {
    const probe = this.probe as { samples: number[] };
    probe.samples.push(latencyMs);
    if (probe.samples.length >= PROBE_SAMPLES) this.endProbe(now);
  }

  private endProbe(now: number): void {
    const probe = this.probe as { resumeLimit: number; samples: number[] };
    if (probe.samples.length > 0) {
      const sorted = probe.samples.sort((a, b) => a - b);
      this.baselineMs = Math.max(sorted[Math.floor(sorted.length / 2)], 0.01);
      if (this.expectedServiceMs === 0) this.expectedServiceMs = this.baselineMs;
    }
    this.limitValue = probe.resumeLimit;
    this.probe = undefined;
    // Jittered, so a fleet of gateways does not probe in step.
    this.nextProbeMs = now + (this.options.probeIntervalMs ?? 30_000) * (0.9 + 0.2 * Math.random());
    this.window = { startMs: now, samples: 0, sumMs: 0, drops: 0, peakRunning: this.running };
  }

  private sample(latencyMs: number, dropped: boolean, now: number): void {
    if (!Number.isFinite(this.baselineMs)) return; // no probe finished yet
    const w = this.window;
    w.samples += 1;
    w.sumMs += latencyMs;
    if (dropped) w.drops += 1;
    if (now - w.startMs < this.windowMs || w.samples < this.minWindowSamples) return;
    const meanMs = Math.max(w.sumMs / w.samples, 0.01);
    this.expectedServiceMs = this.expectedServiceMs === 0 ? meanMs : this.expectedServiceMs * (1 - SMOOTHING) + meanMs * SMOOTHING;
    const targetMs = Math.max(this.options.latencyTolerance * this.baselineMs, this.options.minTargetLatencyMs);
    const gradient = clamp(targetMs / meanMs, 0.5, 1);
    const dropping = w.drops > DROP_SHARE * w.samples;
    if (gradient < 1 || dropping) this.slowStart = false;
    if (this.slowStart && w.peakRunning >= Math.floor(this.limitValue)) {
      this.moveTo(this.limitValue * 2, now);
      return;
    }
    // Growing while the calls don't use the limit would let it run away from anything measured.
    const appLimited = w.peakRunning < this.limitValue / 2;
    const next = appLimited && gradient === 1 ? this.limitValue : this.limitValue * gradient + Math.sqrt(this.limitValue);
    // Shrinking is not smoothed (at most halving per window, by the gradient's clamp): every window
    // over target costs the callers latency. Drops back off at least 10 %: those calls were pure waste.
    // A stray timeout (a noisy neighbour, a call admitted late from the queue) is no trend: only
    // windows with more than DROP_SHARE of their calls dropped count.
    let moved = next < this.limitValue ? next : this.limitValue * (1 - SMOOTHING) + next * SMOOTHING;
    if (dropping) moved = Math.min(moved, this.limitValue * DROP_BACKOFF);
    this.moveTo(moved, now);
  }

  /** Sets the limit within its bounds and starts the next window. */
  private moveTo(limit: number, now: number): void {
    this.limitValue = clamp(limit, this.floor(), this.options.maxLimit);
    this.window = { startMs: now, samples: 0, sumMs: 0, drops: 0, peakRunning: this.running };
    // A higher limit may let waiting calls in.
    this.drain(now);
  }

  private floor(): number {
    return Math.min(this.options.minLimit, this.options.maxLimit);
  }

  private removeFromQueue(waiter: Waiter): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private reject(reason: RejectionReason, message: string): Rejection {
    this.metrics?.rejections.inc({ reason });
    return new Rejection(reason, message, this.pushbackMs());
  }

  /**
   * How long a refused caller should wait: until the queue as it stands has drained and one call
   * has run (the measured service time; the bound's floor without one), jittered by ±50 % so
   * callers refused together do not come back together.
   */
  private pushbackMs(): number {
    const drainMs = this.expectedWaitMs(this.queue.length + 1) + this.expectedServiceMs;
    return Math.round(clamp(drainMs * (0.5 + Math.random()), MIN_PUSHBACK_MS, MAX_PUSHBACK_MS));
  }

  private publish(): void {
    if (!this.metrics) return;
    this.metrics.limit.set(this.limit);
    this.metrics.queued.set(this.queue.length);
    this.metrics.running.set(this.running);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
