import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Registry } from 'prom-client';
import { AccessControl } from './access-control';
import { httpAccessMiddleware } from './http-access';

/**
 * What runService takes from a process's access control: the bind address,
 * /metrics on its own port, and the key check on the HTTP routes that need
 * one (before `configure`'s body parsers, so a refused body is never read).
 */
export function accessBootstrap(
  access: AccessControl,
  registry: Registry,
  configure?: (app: NestExpressApplication) => void | Promise<void>,
): { host: string; metrics?: { port: number; registry: Registry }; configure: (app: NestExpressApplication) => Promise<void> } {
  return {
    host: access.bindHost,
    metrics: access.metricsPort !== undefined ? { port: access.metricsPort, registry } : undefined,
    configure: async (app) => {
      app.use(httpAccessMiddleware(access.policy));
      await configure?.(app);
    },
  };
}
