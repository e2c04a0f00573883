import { DynamicModule, Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { resolveTopicNames } from '@recmesh/contracts';
import { NDJSON_CONTENT_TYPE, RAW_INTAKE_TOPICS, RawIntakeController } from './raw-intake.controller';

/** Body limits of the HTTP intake: a JSON event is far below 100 kB; NDJSON batches and protobuf batches of catalog data are larger. */
export const INTAKE_BODY_LIMITS = { json: '100kb', batch: '1mb' } as const;

/**
 * The body parsers the intake needs; call it in runService's `configure` (the
 * app must be created with rawBody: true, as runService does). One JSON parser
 * for application/json, +json and text/plain: Nest then adds no JSON parser of its own.
 */
export function configureRawIntake(app: NestExpressApplication): void {
  app.useBodyParser('json', { type: ['application/json', 'application/*+json', 'text/plain'], limit: INTAKE_BODY_LIMITS.json });
  app.useBodyParser('raw', { type: [NDJSON_CONTENT_TYPE, 'application/x-protobuf'], limit: INTAKE_BODY_LIMITS.batch });
}

/** POST /v1/clickstream and /v1/catalog onto the raw topics; needs ServiceRuntimeModule (the bus) and configureRawIntake. */
@Module({})
export class RawIntakeModule {
  static register(config: { readonly RECMESH_TOPIC_PREFIX: string }): DynamicModule {
    return {
      module: RawIntakeModule,
      controllers: [RawIntakeController],
      providers: [{ provide: RAW_INTAKE_TOPICS, useValue: resolveTopicNames(config.RECMESH_TOPIC_PREFIX) }],
    };
  }
}
