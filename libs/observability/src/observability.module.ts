import { Controller, DynamicModule, Get, Header, Inject, Module, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Registry } from 'prom-client';
import { ReadinessProbe } from './readiness';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

@Controller()
export class ObservabilityController {
  private readonly startedAt = Date.now();

  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    private readonly readiness: ReadinessProbe,
  ) {}

  /** Liveness: the event loop answers. Dependencies are /ready's business. */
  @Get('health')
  health(): { status: 'ok'; uptime_s: number } {
    return { status: 'ok', uptime_s: Math.round((Date.now() - this.startedAt) / 1000) };
  }

  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const report = await this.readiness.report();
    res.status(report.ready ? 200 : 503).json(report);
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metrics(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.registry.contentType);
    res.send(await this.registry.metrics());
  }
}

/** /health, /ready and /metrics for every service. */
@Module({})
export class ObservabilityModule {
  static forRoot(registry: Registry, readiness: ReadinessProbe): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      controllers: [ObservabilityController],
      providers: [
        { provide: METRICS_REGISTRY, useValue: registry },
        { provide: ReadinessProbe, useValue: readiness },
      ],
      exports: [METRICS_REGISTRY, ReadinessProbe],
    };
  }
}
