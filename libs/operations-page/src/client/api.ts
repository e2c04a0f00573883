import type { OpsErrorBody, OpsExperiments, OpsIngest, OpsMetrics, OpsModels } from '../ops-api.types';

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`/ops/api/${path}`, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as Partial<OpsErrorBody> | undefined;
    throw new Error(`${res.status}: ${body?.message ?? res.statusText}`);
  }
  return (await res.json()) as T;
}

export const opsApi = {
  metrics: () => get<OpsMetrics>('metrics?hours=24'),
  experiments: () => get<OpsExperiments>('experiments'),
  models: () => get<OpsModels>('models'),
  ingest: () => get<OpsIngest>('ingest'),
};
