import { describeKafkaSecurity, FileBusStorage, InMemoryMessageBus, KafkaMessageBus, kafkaSecurityOptions, MessageBus } from '@recmesh/messaging';
import { openStore } from '@recmesh/persistence';
import { DataPlaneTlsConfig, kafkaSecurityFromConfig, mysqlTlsFromConfig } from '@recmesh/service-config';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EmbeddedStorageConfig, embeddedLayout } from './embedded-data-dir';

export interface InfrastructureConfig extends EmbeddedStorageConfig, DataPlaneTlsConfig {
  readonly RECMESH_PROFILE: 'embedded' | 'kafka-mysql';
  readonly KAFKA_BROKERS: readonly string[];
  /** Absent: the bus's defaults (60 s, 120 s). */
  readonly KAFKA_OPERATION_TIMEOUT_SECONDS?: number;
  readonly KAFKA_STALL_SECONDS?: number;
  readonly MYSQL_URL: string;
}

type BusConfig = Pick<InfrastructureConfig, 'RECMESH_PROFILE' | 'KAFKA_BROKERS' | 'KAFKA_OPERATION_TIMEOUT_SECONDS' | 'KAFKA_STALL_SECONDS'> & EmbeddedStorageConfig & DataPlaneTlsConfig;

/** The bus a service runs on, chosen by RECMESH_PROFILE (a service that keeps no state needs no more). */
export interface BusInfrastructure {
  readonly profile: InfrastructureConfig['RECMESH_PROFILE'];
  readonly bus: MessageBus;
  close(): Promise<void>;
}

/** The bus and the store a service runs on, chosen by RECMESH_PROFILE. */
export interface Infrastructure extends BusInfrastructure {
  readonly dataSource: DataSource;
}

function createBus(config: BusConfig, clientId: string, logger: Logger): MessageBus {
  if (config.RECMESH_PROFILE === 'kafka-mysql') {
    const security = kafkaSecurityFromConfig(config);
    return new KafkaMessageBus({
      brokers: config.KAFKA_BROKERS,
      clientId,
      security: security && kafkaSecurityOptions(security),
      operationTimeoutMs: config.KAFKA_OPERATION_TIMEOUT_SECONDS === undefined ? undefined : config.KAFKA_OPERATION_TIMEOUT_SECONDS * 1000,
      stallMs: config.KAFKA_STALL_SECONDS === undefined ? undefined : config.KAFKA_STALL_SECONDS * 1000,
    });
  }
  const { busDir } = embeddedLayout(config, clientId);
  const storage = busDir
    ? FileBusStorage.open({
        dir: busDir,
        segmentBytes: (config.RECMESH_BUS_SEGMENT_MB ?? 64) * 1024 * 1024,
        retentionMs: (config.RECMESH_BUS_RETENTION_HOURS ?? 24) * 3_600_000,
        onRecovery: (message) => logger.warn(message),
      })
    : undefined;
  return new InMemoryMessageBus((error, tp) => logger.error(`handler failed on ${tp.topic}[${tp.partition}]: ${(error as Error).message}`), storage);
}

/** Only the bus: for the gateway, which stores nothing. */
export async function openBus(config: BusConfig, clientId: string): Promise<BusInfrastructure> {
  const bus = createBus(config, clientId, new Logger('Infrastructure'));
  return { profile: config.RECMESH_PROFILE, bus, close: () => bus.close() };
}

export async function openInfrastructure(config: InfrastructureConfig, clientId: string): Promise<Infrastructure> {
  const logger = new Logger('Infrastructure');
  const layout = embeddedLayout(config, clientId);
  const bus = createBus(config, clientId, logger);
  let dataSource: DataSource;
  try {
    dataSource = await openStore(config.RECMESH_PROFILE === 'kafka-mysql' ? { kind: 'mysql', url: config.MYSQL_URL, tls: mysqlTlsFromConfig(config) } : { kind: 'embedded', file: layout.storeFile });
  } catch (error) {
    await bus.close();
    throw error;
  }
  logger.log(
    config.RECMESH_PROFILE === 'kafka-mysql'
      ? `profile kafka-mysql: brokers ${config.KAFKA_BROKERS.join(',')} (${describeKafkaSecurity(kafkaSecurityFromConfig(config))}), store ${config.MYSQL_URL.replace(/\/\/[^@]*@/, '//***@')} (${config.MYSQL_SSL ? 'TLS' : 'no TLS'})`
      : `profile embedded: ${layout.busDir ? `durable in-process bus in ${layout.busDir}` : 'in-process bus in memory'}, embedded SQL store ${layout.storeFile ? `in ${layout.storeFile}` : 'in memory'}`,
  );
  return {
    profile: config.RECMESH_PROFILE,
    bus,
    dataSource,
    close: async () => {
      await bus.close();
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
