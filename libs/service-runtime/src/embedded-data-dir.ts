import * as path from 'path';

export interface EmbeddedStorageConfig {
  readonly EMBEDDED_DB_FILE: string;
  /** Absent (configurations built by hand in tests and tools) keeps nothing on disk, as `:memory:` does. */
  readonly RECMESH_DATA_DIR?: string;
  readonly RECMESH_BUS_RETENTION_HOURS?: number;
  readonly RECMESH_BUS_SEGMENT_MB?: number;
}

export const IN_MEMORY = ':memory:';

/** Where an embedded-profile service keeps its data; undefined = in memory. */
export interface EmbeddedLayout {
  readonly dir?: string;
  readonly busDir?: string;
  readonly storeFile?: string;
}

/**
 * Each service gets its own subdirectory of the data dir: services started
 * separately on the embedded profile each have their own in-process bus, and
 * the bus directory takes one process only.
 */
export function embeddedLayout(config: EmbeddedStorageConfig, clientId: string): EmbeddedLayout {
  const root = config.RECMESH_DATA_DIR;
  const dir = root && root !== IN_MEMORY ? path.resolve(root, clientId.replace(/[^A-Za-z0-9._-]/g, '_')) : undefined;
  return {
    dir,
    busDir: dir && path.join(dir, 'bus'),
    storeFile: config.EMBEDDED_DB_FILE || (dir && path.join(dir, 'store.sqlite')),
  };
}
