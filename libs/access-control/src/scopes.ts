import type { DescService } from '@bufbuild/protobuf';
import { BundlerService, ExperimentService, Health, PrivacyService, RecommendationService, ScorerService } from '@recmesh/contracts';

/**
 * What a key may call. storefront: recommendations; intake: clickstream and
 * catalog writes; admin: experiments, models, erasure; internal: the scorer
 * and bundler behind the gateway.
 */
export const Scopes = ['storefront', 'intake', 'admin', 'internal'] as const;
export type Scope = (typeof Scopes)[number];

export function isScope(value: string): value is Scope {
  return (Scopes as readonly string[]).includes(value);
}

/** Open: anyone may call (health checks, reflection). */
export const OPEN = 'open';
/** One scope, any one of several, or open. */
export type Requirement = Scope | readonly Scope[] | typeof OPEN;

/** Every method of a generated service, by localName ("recommend"), with the scope it needs. */
type ScopesOf<S extends DescService> = { readonly [K in keyof S['method']]: Requirement };

/**
 * Every gRPC service we serve, every method: adding an rpc to a proto without
 * deciding its scope here fails the typecheck.
 */
const SERVED = {
  gateway: scoped(RecommendationService, { recommend: 'storefront', similarItems: 'storefront', bundle: 'storefront' }),
  scorer: scoped(ScorerService, { score: 'internal', scoreSimilar: 'internal' }),
  bundler: scoped(BundlerService, { composeBundles: 'internal' }),
  experiments: scoped(ExperimentService, {
    createExperiment: 'admin',
    stopExperiment: 'admin',
    // A gateway of its own reads the running experiments with its internal key, which must not be able to change them.
    listExperiments: ['admin', 'internal'],
    getExperimentResults: 'admin',
  }),
  privacy: scoped(PrivacyService, { eraseUser: 'admin' }),
  // Load balancers and orchestrators probe health without keys.
  health: scoped(Health, { check: OPEN, watch: OPEN }),
};

function scoped<S extends DescService>(service: S, scopes: ScopesOf<S>): { service: S; scopes: ScopesOf<S> } {
  return { service, scopes };
}

/** "/recmesh.gateway.v1.RecommendationService/Recommend" -> "storefront": the paths grpc-js reports. */
export const METHOD_SCOPES: ReadonlyMap<string, Requirement> = new Map(
  Object.values(SERVED).flatMap(({ service, scopes }) =>
    service.methods.map((method) => [`/${service.typeName}/${method.name}`, (scopes as Record<string, Requirement>)[method.localName]] as const),
  ),
);

/** Server reflection only describes the schemas (public in proto/): open, so grpcurl can list services before it has a key. */
const OPEN_SERVICES = new Set(['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']);

/**
 * The requirement of a call by its HTTP/2 path ("/pkg.Service/Method"), or
 * undefined for a path we do not serve (grpc-js answers UNIMPLEMENTED; we
 * refuse it first so an unknown path is never a way around the check).
 */
export function requiredScope(path: string): Requirement | undefined {
  const service = /^\/([^/]+)\/[^/]+$/.exec(path)?.[1];
  if (service !== undefined && OPEN_SERVICES.has(service)) return OPEN;
  return METHOD_SCOPES.get(path);
}

/** The services METHOD_SCOPES covers. */
export const SCOPED_SERVICES: readonly DescService[] = Object.values(SERVED).map((s) => s.service);
