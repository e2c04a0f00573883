import { DynamicModule, INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError } from '@recmesh/service-config';
import type { Registry } from 'prom-client';
import { listenMetrics } from './metrics-listener';

const LEVELS: Record<string, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export interface RunServiceOptions {
  readonly service: string;
  /** Loads config and builds the root module; a ConfigError here ends the process with a clear message. */
  readonly bootstrap: () => Promise<ServiceBootstrap> | ServiceBootstrap;
}

export interface ServiceBootstrap {
  readonly module: DynamicModule;
  readonly port: number;
  readonly logLevel?: string;
  /** Extra HTTP setup, e.g. body parsers for binary payloads. */
  readonly configure?: (app: NestExpressApplication) => void | Promise<void>;
  /** Address to listen on (BIND_HOST). Default 0.0.0.0. */
  readonly host?: string;
  /** /metrics on its own port (METRICS_PORT) instead of the service port. */
  readonly metrics?: { readonly port: number; readonly registry: Registry };
}

/**
 * Starts a NestJS service the same way everywhere: graceful shutdown on
 * SIGTERM/SIGINT (Nest's shutdown hooks drain consumers before exit), a
 * clear message and exit code 1 on bad configuration or failed start.
 */
export async function runService(options: RunServiceOptions): Promise<INestApplication | undefined> {
  const logger = new Logger(options.service);
  try {
    const { module, port, logLevel, configure, host = '0.0.0.0', metrics } = await options.bootstrap();
    const app = await NestFactory.create<NestExpressApplication>(module, { logger: LEVELS[logLevel ?? 'info'] ?? LEVELS['info'], rawBody: true });
    await configure?.(app);
    // With its own port, /metrics is not answered on the service port: firewalling that port is then enough.
    if (metrics) app.use('/metrics', (_req: unknown, res: { status(code: number): { json(body: unknown): void } }) => res.status(404).json({ statusCode: 404, error: 'Not Found', message: `/metrics is served on port ${metrics.port}` }));
    app.enableShutdownHooks();
    await app.listen(port, host);
    if (metrics) {
      const server = await listenMetrics(metrics.registry, metrics.port, host);
      server.unref();
      logger.log(`${options.service} listening on ${host}:${port} (/health, /ready), /metrics on ${host}:${metrics.port}`);
    } else {
      logger.log(`${options.service} listening on ${host}:${port} (/health, /ready, /metrics)`);
    }
    return app;
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(`${options.service} cannot start, ${error.message}`);
    } else {
      logger.error(`${options.service} failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
    return undefined;
  }
}
