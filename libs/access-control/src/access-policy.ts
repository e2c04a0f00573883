import { ApiKeyStore } from './api-keys';
import { OPEN, Requirement, Scope } from './scopes';

export type AccessDecision =
  | { readonly allowed: true; /** Key id, "anonymous" or "open": for logs, never the key. */ readonly caller: string }
  | { readonly allowed: false; readonly reason: 'unauthenticated' | 'permission_denied'; readonly message: string };

/**
 * Who may call what. Without a key store every call is allowed (a loopback
 * bind, or RECMESH_ALLOW_ANONYMOUS on a trusted network). With one, a call
 * needs a known key holding the method's scope; a call without a key gets the
 * anonymous scopes (RECMESH_ANONYMOUS_SCOPES, e.g. the demo storefront).
 */
export class AccessPolicy {
  constructor(
    private readonly keys: ApiKeyStore | undefined,
    private readonly anonymousScopes: ReadonlySet<Scope> = new Set(),
  ) {}

  get enforcing(): boolean {
    return this.keys !== undefined;
  }

  decide(requirement: Requirement, presentedKey: string | undefined): AccessDecision {
    if (requirement === OPEN) return { allowed: true, caller: 'open' };
    if (!this.keys) return { allowed: true, caller: 'anonymous' };
    const anyOf: readonly Scope[] = typeof requirement === 'string' ? [requirement] : requirement;
    const named = anyOf.join(' or ');
    if (presentedKey === undefined) {
      if (anyOf.some((s) => this.anonymousScopes.has(s))) return { allowed: true, caller: 'anonymous' };
      return { allowed: false, reason: 'unauthenticated', message: `an API key with scope ${named} is required (authorization: Bearer <key>)` };
    }
    const identity = this.keys.authenticate(presentedKey);
    if (!identity) return { allowed: false, reason: 'unauthenticated', message: 'unknown API key' };
    if (!anyOf.some((s) => identity.scopes.has(s))) return { allowed: false, reason: 'permission_denied', message: `API key ${identity.id} lacks scope ${named}` };
    return { allowed: true, caller: identity.id };
  }
}

/** The key of `authorization: Bearer <key>` or `x-api-key: <key>`; undefined when neither is there. */
export function presentedKey(authorization: string | undefined, apiKeyHeader: string | undefined): string | undefined {
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (bearer) return bearer;
  // A malformed authorization header counts as a key that matches nothing, not as no key: it must not fall back to anonymous.
  if (authorization) return authorization;
  return apiKeyHeader?.trim() || undefined;
}
