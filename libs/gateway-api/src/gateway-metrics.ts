import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AdmissionMetrics } from './admission/admission-metrics';

export type GatewayMethod = 'Recommend' | 'SimilarItems' | 'Bundle';

/** Prometheus metrics of the gRPC gateway. */
export class GatewayMetrics {
  readonly requests: Counter<'method' | 'code'>;
  readonly requestSeconds: Histogram<'method'>;
  readonly inFlight: Gauge;
  readonly servedPublishFailures: Counter;
  readonly armFallbacks: Counter<'experiment' | 'arm'>;
  readonly admission: AdmissionMetrics;

  constructor(registry: Registry) {
    this.admission = new AdmissionMetrics(registry);
    this.requests = new Counter({
      name: 'recmesh_gateway_requests_total',
      help: 'gRPC calls answered, by method and status code name (OK, INVALID_ARGUMENT, ...).',
      labelNames: ['method', 'code'],
      registers: [registry],
    });
    this.requestSeconds = new Histogram({
      name: 'recmesh_gateway_request_seconds',
      help: 'Time from receiving a call to answering it.',
      labelNames: ['method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'recmesh_gateway_in_flight',
      help: 'Calls being served right now (bounded by GATEWAY_MAX_IN_FLIGHT).',
      registers: [registry],
    });
    this.servedPublishFailures = new Counter({
      name: 'recmesh_gateway_served_publish_failures_total',
      help: 'Served lists that could not be published to the recommendations-served topic (the call itself succeeded).',
      registers: [registry],
    });
    this.armFallbacks = new Counter({
      name: 'recmesh_gateway_arm_fallbacks_total',
      help: "Calls of an experiment arm whose own version could not serve (unknown, retired, not loadable), answered by the serving version instead.",
      labelNames: ['experiment', 'arm'],
      registers: [registry],
    });
  }
}
