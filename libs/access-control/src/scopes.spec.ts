import { BundlerService, ExperimentService, Health, PrivacyService, RecommendationService, ScorerService } from '@recmesh/contracts';
import { AccessPolicy, presentedKey } from './access-policy';
import { ApiKeyStore, mintApiKey } from './api-keys';
import { METHOD_SCOPES, OPEN, requiredScope, SCOPED_SERVICES } from './scopes';
import { httpRequiredScope } from './http-access';

describe('method scopes', () => {
  it('decide every method of every service we serve', () => {
    const served = [RecommendationService, ScorerService, BundlerService, ExperimentService, PrivacyService, Health];
    expect(SCOPED_SERVICES.map((s) => s.typeName).sort()).toEqual(served.map((s) => s.typeName).sort());
    const paths = served.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));
    expect([...METHOD_SCOPES.keys()].sort()).toEqual(paths.sort());
    for (const p of paths) for (const scope of [METHOD_SCOPES.get(p)].flat()) expect(['storefront', 'intake', 'admin', 'internal', OPEN]).toContain(scope);
  });

  it('map storefront, admin and internal methods as the issue asks; health and reflection open; anything else unknown', () => {
    expect(requiredScope('/recmesh.gateway.v1.RecommendationService/Recommend')).toBe('storefront');
    expect(requiredScope('/recmesh.gateway.v1.RecommendationService/Bundle')).toBe('storefront');
    expect(requiredScope('/recmesh.experiments.v1.ExperimentService/CreateExperiment')).toBe('admin');
    expect(requiredScope('/recmesh.experiments.v1.ExperimentService/ListExperiments')).toEqual(['admin', 'internal']);
    expect(requiredScope('/recmesh.privacy.v1.PrivacyService/EraseUser')).toBe('admin');
    expect(requiredScope('/recmesh.scorer.v1.ScorerService/Score')).toBe('internal');
    expect(requiredScope('/grpc.health.v1.Health/Check')).toBe(OPEN);
    expect(requiredScope('/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo')).toBe(OPEN);
    expect(requiredScope('/recmesh.gateway.v1.RecommendationService/Nope')).toBeUndefined();
    expect(requiredScope('/recmesh.gateway.v1.RecommendationService/constructor')).toBeUndefined();
  });

  it('HTTP: intake and admin routes need keys, the rest of the port is open', () => {
    expect(httpRequiredScope('/v1/catalog')).toBe('intake');
    expect(httpRequiredScope('/V1/Catalog/')).toBe('intake');
    expect(httpRequiredScope('/v1/clickstream')).toBe('intake');
    expect(httpRequiredScope('/v1/admin/retrain')).toBe('admin');
    expect(httpRequiredScope('/v1/catalogue')).toBeUndefined();
    expect(httpRequiredScope('/health')).toBeUndefined();
    expect(httpRequiredScope('/shop/api/recommend')).toBeUndefined();
  });
});

describe('AccessPolicy', () => {
  const shop = mintApiKey('shop', ['storefront']);
  const ops = mintApiKey('ops', ['admin']);
  const keys = ApiKeyStore.of([shop.entry, ops.entry]);

  it('without keys allows every call', () => {
    expect(new AccessPolicy(undefined).decide('admin', undefined)).toEqual({ allowed: true, caller: 'anonymous' });
  });

  it('with keys: no key is unauthenticated, an unknown key too, a key without the scope is denied, the right key passes', () => {
    const policy = new AccessPolicy(keys);
    expect(policy.decide('storefront', undefined)).toMatchObject({ allowed: false, reason: 'unauthenticated' });
    expect(policy.decide('storefront', 'rmk_unknown')).toEqual({ allowed: false, reason: 'unauthenticated', message: 'unknown API key' });
    expect(policy.decide('admin', shop.key)).toEqual({ allowed: false, reason: 'permission_denied', message: 'API key shop lacks scope admin' });
    expect(policy.decide('storefront', shop.key)).toEqual({ allowed: true, caller: 'shop' });
    expect(policy.decide(OPEN, undefined)).toEqual({ allowed: true, caller: 'open' });
  });

  it('a method open to several scopes takes a key with any one of them', () => {
    const gateway = mintApiKey('gateway', ['internal']);
    const policy = new AccessPolicy(ApiKeyStore.of([shop.entry, ops.entry, gateway.entry]));
    expect(policy.decide(['admin', 'internal'], gateway.key)).toEqual({ allowed: true, caller: 'gateway' });
    expect(policy.decide(['admin', 'internal'], ops.key)).toEqual({ allowed: true, caller: 'ops' });
    expect(policy.decide(['admin', 'internal'], shop.key)).toEqual({ allowed: false, reason: 'permission_denied', message: 'API key shop lacks scope admin or internal' });
    expect(policy.decide('admin', gateway.key)).toMatchObject({ allowed: false, reason: 'permission_denied' });
  });

  it('anonymous scopes open only those scopes to calls without a key; a wrong key is still refused', () => {
    const policy = new AccessPolicy(keys, new Set(['storefront', 'intake'] as const));
    expect(policy.decide('storefront', undefined)).toEqual({ allowed: true, caller: 'anonymous' });
    expect(policy.decide('admin', undefined)).toMatchObject({ allowed: false, reason: 'unauthenticated' });
    expect(policy.decide('storefront', 'rmk_unknown')).toMatchObject({ allowed: false, reason: 'unauthenticated' });
  });

  it('reads Bearer and x-api-key; a malformed authorization header is a (wrong) key, not no key', () => {
    expect(presentedKey('Bearer abc', undefined)).toBe('abc');
    expect(presentedKey('bearer   abc ', undefined)).toBe('abc');
    expect(presentedKey(undefined, ' abc ')).toBe('abc');
    expect(presentedKey(undefined, undefined)).toBeUndefined();
    expect(presentedKey('Basic Zm9v', 'abc')).toBe('Basic Zm9v');
  });
});
