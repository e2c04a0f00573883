import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the gateway's admission control (GATEWAY_ADMISSION). */
export class AdmissionMetrics {
  readonly limit: Gauge;
  readonly running: Gauge;
  readonly queued: Gauge;
  readonly rejections: Counter<'reason'>;
  readonly rejectionSeconds: Histogram;

  constructor(registry: Registry) {
    this.limit = new Gauge({
      name: 'recmesh_gateway_admission_limit',
      help: 'Calls the gateway lets run at once right now: the adaptive limit (at most GATEWAY_MAX_IN_FLIGHT), or GATEWAY_MAX_IN_FLIGHT in fixed mode.',
      registers: [registry],
    });
    this.running = new Gauge({ name: 'recmesh_gateway_admission_running', help: 'Calls admitted and running (not waiting).', registers: [registry] });
    this.queued = new Gauge({ name: 'recmesh_gateway_admission_queue_length', help: 'Calls waiting for a slot (bounded by GATEWAY_ADMISSION_MAX_QUEUE).', registers: [registry] });
    this.rejections = new Counter({
      name: 'recmesh_gateway_admission_rejections_total',
      help: 'Calls refused with RESOURCE_EXHAUSTED by admission control, by reason: limit, queue_full, deadline (cannot meet its deadline), queue_timeout (waited in vain).',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.rejectionSeconds = new Histogram({
      name: 'recmesh_gateway_admission_rejection_seconds',
      help: 'Time from receiving a call to refusing it at admission (calls refused at once, not after waiting).',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01],
      registers: [registry],
    });
  }
}
