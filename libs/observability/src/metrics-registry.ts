import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per service, with process metrics and a `service` label on everything. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'recmesh_' });
  return registry;
}
