import type { Config, ConfigSchema } from '@recmesh/service-config';
import type { AdmissionOptions } from './adaptive-limiter';

/** Admission control of the gateway (GatewayConfigSchema spreads it); the hard ceiling stays GATEWAY_MAX_IN_FLIGHT. */
export const AdmissionConfigSchema = {
  GATEWAY_ADMISSION: {
    type: 'enum', values: ['adaptive', 'fixed'], default: 'adaptive',
    description: 'adaptive: a concurrency limit that follows measured latency, with a deadline-aware wait queue; fixed: GATEWAY_MAX_IN_FLIGHT calls at once, the rest refused',
  },
  GATEWAY_ADMISSION_MIN_LIMIT: { type: 'int', default: 4, min: 1, max: 100_000, description: 'adaptive: the limit never shrinks below this' },
  GATEWAY_ADMISSION_INITIAL_LIMIT: { type: 'int', default: 32, min: 1, max: 100_000, description: 'adaptive: the limit at start, before any latency was measured (clamped to MIN_LIMIT..GATEWAY_MAX_IN_FLIGHT)' },
  GATEWAY_ADMISSION_MAX_QUEUE: { type: 'int', default: 1024, min: 0, max: 100_000, description: 'adaptive: calls that may wait for a slot (0 = refuse at once when the limit is reached)' },
  GATEWAY_ADMISSION_MAX_QUEUE_WAIT_MS: {
    type: 'int', default: 1000, min: 0, max: 60_000,
    description: 'adaptive: a call waits only if its expected wait is at most this and its wait plus expected service time fits its deadline; else RESOURCE_EXHAUSTED at once',
  },
  GATEWAY_ADMISSION_LATENCY_TOLERANCE_PERCENT: {
    type: 'int', default: 200, min: 110, max: 1000,
    description: 'adaptive: the limit shrinks once latency passes this percentage of the no-load latency (measured every 30 s by a short probe at MIN_LIMIT) or MIN_TARGET_LATENCY_MS, whichever is higher, and grows while it stays below',
  },
  GATEWAY_ADMISSION_MIN_TARGET_LATENCY_MS: {
    type: 'int', default: 500, min: 0, max: 60_000,
    description: 'adaptive: service latency the limit may always grow to (default a quarter of the 2 s default deadline, the rest left for waiting); the scorer batches, so its peak throughput needs latency well above its no-load latency',
  },
} as const satisfies ConfigSchema;

export type AdmissionConfig = Config<typeof AdmissionConfigSchema> & { readonly GATEWAY_MAX_IN_FLIGHT: number };

export function admissionOptions(config: AdmissionConfig): AdmissionOptions {
  return {
    mode: config.GATEWAY_ADMISSION,
    maxLimit: config.GATEWAY_MAX_IN_FLIGHT,
    minLimit: config.GATEWAY_ADMISSION_MIN_LIMIT,
    initialLimit: config.GATEWAY_ADMISSION_INITIAL_LIMIT,
    maxQueue: config.GATEWAY_ADMISSION_MAX_QUEUE,
    maxQueueWaitMs: config.GATEWAY_ADMISSION_MAX_QUEUE_WAIT_MS,
    latencyTolerance: config.GATEWAY_ADMISSION_LATENCY_TOLERANCE_PERCENT / 100,
    minTargetLatencyMs: config.GATEWAY_ADMISSION_MIN_TARGET_LATENCY_MS,
  };
}

/** The old behaviour: `maxInFlight` calls at once, the rest refused at once. */
export function fixedAdmission(maxInFlight: number): AdmissionOptions {
  return { mode: 'fixed', maxLimit: maxInFlight, minLimit: maxInFlight, initialLimit: maxInFlight, maxQueue: 0, maxQueueWaitMs: 0, latencyTolerance: 2, minTargetLatencyMs: 0 };
}
