import type { NextFunction, Request, Response } from 'express';
import { AccessPolicy, presentedKey } from './access-policy';
import { Scope } from './scopes';

/** The HTTP routes that need a key, by path prefix; everything else on the port (/health, /ready, the demo pages) is open. */
export const HTTP_SCOPES: readonly { readonly prefix: string; readonly scope: Scope }[] = [
  { prefix: '/v1/clickstream', scope: 'intake' },
  { prefix: '/v1/catalog', scope: 'intake' },
  { prefix: '/v1/admin', scope: 'admin' },
];

export function httpRequiredScope(path: string): Scope | undefined {
  const lower = path.toLowerCase();
  return HTTP_SCOPES.find((r) => lower === r.prefix || lower.startsWith(`${r.prefix}/`))?.scope;
}

/** Express middleware: 401 (with WWW-Authenticate) for a missing or unknown key, 403 for a key without the route's scope, as JSON like Nest's errors. */
export function httpAccessMiddleware(policy: AccessPolicy): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const scope = httpRequiredScope(req.path);
    if (!scope) return next();
    const decision = policy.decide(scope, presentedKey(req.header('authorization'), req.header('x-api-key')));
    if (decision.allowed) return next();
    if (decision.reason === 'unauthenticated') {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ statusCode: 401, error: 'Unauthorized', message: decision.message });
    } else {
      res.status(403).json({ statusCode: 403, error: 'Forbidden', message: decision.message });
    }
  };
}
