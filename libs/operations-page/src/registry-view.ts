import type { ModelDecisionRecord, ModelVersionRecord } from '@recmesh/persistence';
import type { OpsModels } from './ops-api.types';

/** The registry for the page: every version (newest registration first) with the one that serves marked, and the decisions with their reasons. */
export function registryView(versions: readonly ModelVersionRecord[], serving: ModelVersionRecord | null, decisions: readonly ModelDecisionRecord[]): OpsModels {
  return {
    serving: serving?.modelVersion ?? null,
    versions: versions.map((v) => ({
      model_version: v.modelVersion,
      status: v.status,
      serving: v.modelVersion === serving?.modelVersion,
      pinned: v.pinned,
      registered_at_ms: v.registeredAtMs,
      promoted_at_ms: v.promotedAtMs,
    })),
    decisions: decisions.map((d) => ({ model_version: d.modelVersion, decision: d.decision, reason: d.reason, decided_at_ms: d.decidedAtMs })),
  };
}
