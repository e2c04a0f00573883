import { InMemoryMessageBus, KafkaMessageBus, MessageBus } from '@recmesh/messaging';
import { openStore } from '@recmesh/persistence';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface InfrastructureConfig {
  readonly RECMESH_PROFILE: 'embedded' | 'kafka-mysql';
  readonly KAFKA_BROKERS: readonly string[];
  readonly MYSQL_URL: string;
  readonly EMBEDDED_DB_FILE: string;
}

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

function createBus(config: Pick<InfrastructureConfig, 'RECMESH_PROFILE' | 'KAFKA_BROKERS'>, clientId: string, logger: Logger): MessageBus {
  return config.RECMESH_PROFILE === 'kafka-mysql'
    ? new KafkaMessageBus({ brokers: config.KAFKA_BROKERS, clientId })
    : new InMemoryMessageBus((error, tp) => logger.error(`handler failed on ${tp.topic}[${tp.partition}]: ${(error as Error).message}`));
}

/** Only the bus: for the gateway, which stores nothing. */
export async function openBus(config: Pick<InfrastructureConfig, 'RECMESH_PROFILE' | 'KAFKA_BROKERS'>, clientId: string): Promise<BusInfrastructure> {
  const bus = createBus(config, clientId, new Logger('Infrastructure'));
  return { profile: config.RECMESH_PROFILE, bus, close: () => bus.close() };
}

export async function openInfrastructure(config: InfrastructureConfig, clientId: string): Promise<Infrastructure> {
  const logger = new Logger('Infrastructure');
  const bus = createBus(config, clientId, logger);
  const dataSource = await openStore(
    config.RECMESH_PROFILE === 'kafka-mysql' ? { kind: 'mysql', url: config.MYSQL_URL } : { kind: 'embedded', file: config.EMBEDDED_DB_FILE },
  );
  logger.log(
    config.RECMESH_PROFILE === 'kafka-mysql'
      ? `profile kafka-mysql: brokers ${config.KAFKA_BROKERS.join(',')}, store ${config.MYSQL_URL.replace(/\/\/[^@]*@/, '//***@')}`
      : `profile embedded: in-process bus, embedded SQL store${config.EMBEDDED_DB_FILE ? ` in ${config.EMBEDDED_DB_FILE}` : ' in memory'}`,
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
