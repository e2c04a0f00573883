import { Controller, Get, Header, HttpException, Inject, Logger, OnModuleInit, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { buildPageBundle, PageBundle } from '@recmesh/service-runtime';
import type { Response } from 'express';
import { STATUS_CODES } from 'http';
import * as path from 'path';
import type { OpsErrorBody, OpsExperiments, OpsIngest, OpsMetrics, OpsModels } from './ops-api.types';
import { alphaOf, windowHours } from './ops-query';
import { OpsService, OpsSourceError } from './ops-service';

export const OPS_SERVICE = Symbol('OPS_SERVICE');
export const OPS_CLIENT_DIR = path.resolve(__dirname, 'client');

export function opsHttpError(status: number, message: string): HttpException {
  const body: OpsErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
  return new HttpException(body, status);
}

/** A source that failed is a 500 naming it (the page shows the message in that section); parameter errors are 400s already. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OpsSourceError) throw opsHttpError(500, error.message);
    throw error;
  }
}

function shell(): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>recmesh operations</title>',
    '<link rel="icon" href="data:,">',
    '<link rel="stylesheet" href="/ops/assets/app.css">',
    '<script type="module" src="/ops/assets/app.js"></script>',
    '</head><body><div id="app"><p class="loading">Loading…</p></div></body></html>',
  ].join('\n');
}

/**
 * The operations page (/ops) and its JSON API (/ops/api/*): online metrics
 * per surface and model version, experiments with their intervals, the model
 * registry, ingest health. The page (client/, Preact) is built at start.
 */
@Controller('ops')
export class OperationsController implements OnModuleInit {
  private readonly logger = new Logger('Operations');
  private bundle?: PageBundle;
  private bundleError?: string;

  constructor(@Inject(OPS_SERVICE) private readonly ops: OpsService) {}

  async onModuleInit(): Promise<void> {
    try {
      this.bundle = await buildPageBundle({ dir: OPS_CLIENT_DIR, publicPath: '/ops/assets' });
      this.logger.log(`operations page built in ${this.bundle.buildMs} ms: /ops`);
    } catch (error) {
      // The page must not take the engine down with it: /ops says what went wrong, the API still answers.
      this.bundleError = error instanceof Error ? error.message : String(error);
      this.logger.error(`the operations page could not be built, /ops answers 503: ${this.bundleError}`);
    }
  }

  @Get()
  page(@Res({ passthrough: true }) res: Response): string {
    if (!this.bundle) throw opsHttpError(503, `the operations page could not be built: ${this.bundleError ?? 'still building'}`);
    res.type('html');
    return shell();
  }

  @Get('assets/:file')
  @Header('cache-control', 'no-cache')
  asset(@Param('file') file: string): StreamableFile {
    const found = this.bundle?.files.get(file);
    if (!found) throw opsHttpError(404, `no asset ${JSON.stringify(file.slice(0, 64))}`);
    return new StreamableFile(found.body, { type: found.contentType });
  }

  @Get('api/metrics')
  @Header('cache-control', 'no-store')
  metrics(@Query() query: Record<string, unknown>): Promise<OpsMetrics> {
    const hours = windowHours(query);
    return answer(() => this.ops.metrics(hours));
  }

  @Get('api/experiments')
  @Header('cache-control', 'no-store')
  experiments(@Query() query: Record<string, unknown>): Promise<OpsExperiments> {
    const alpha = alphaOf(query);
    return answer(() => this.ops.experiments(alpha));
  }

  @Get('api/models')
  @Header('cache-control', 'no-store')
  models(): Promise<OpsModels> {
    return answer(() => this.ops.models());
  }

  @Get('api/ingest')
  @Header('cache-control', 'no-store')
  ingest(): Promise<OpsIngest> {
    return answer(() => this.ops.ingest());
  }
}
