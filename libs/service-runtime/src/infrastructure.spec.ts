import { openInfrastructure } from './infrastructure';

describe('openInfrastructure', () => {
  it('gives the embedded profile an in-process bus and a working SQL store with the schema', async () => {
    const infra = await openInfrastructure(
      { RECMESH_PROFILE: 'embedded', KAFKA_BROKERS: [], MYSQL_URL: 'mysql://unused', EMBEDDED_DB_FILE: '' },
      'spec',
    );
    try {
      expect(infra.bus.kind).toBe('in-memory');
      expect(infra.bus.isReady()).toBe(true);
      const tables = await infra.dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
      expect(tables.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['catalog_events', 'catalog_items', 'clickstream_events']));
    } finally {
      await infra.close();
    }
    expect(infra.dataSource.isInitialized).toBe(false);
    expect(infra.bus.isReady()).toBe(false);
  });

  it('keeps the bus and the store of a service under RECMESH_DATA_DIR/<service>, and finds both again', async () => {
    const fs = require('fs') as typeof import('fs');
    const dir = fs.mkdtempSync(`${require('os').tmpdir()}/recmesh-data-`);
    const config = { RECMESH_PROFILE: 'embedded' as const, KAFKA_BROKERS: [], MYSQL_URL: 'mysql://unused', EMBEDDED_DB_FILE: '', RECMESH_DATA_DIR: dir };
    try {
      const first = await openInfrastructure(config, 'spec');
      await first.bus.ensureTopics([{ name: 't', partitions: 2 }]);
      await first.bus.publish('t', [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }]);
      await first.dataSource.query("INSERT INTO catalog_events (event_id, item_id, kind, ts_ms, payload, ingested_at_ms, source_partition, source_offset) VALUES ('c1', 'i1', 'upsert', 1, '{}', 1, 0, 7)");
      await first.close();
      expect(fs.readdirSync(`${dir}/spec`).sort()).toEqual(expect.arrayContaining(['bus', 'store.sqlite']));

      const second = await openInfrastructure(config, 'spec');
      try {
        await second.bus.ensureTopics([{ name: 't', partitions: 2 }]);
        const got: string[] = [];
        await second.bus.subscribe({ groupId: 'g', topics: ['t'], handler: async (b) => void got.push(...b.messages.map((m) => m.value!.toString())) });
        for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        expect(got.sort()).toEqual(['one', 'two']);
        expect(await second.dataSource.query('SELECT event_id FROM catalog_events')).toEqual([{ event_id: 'c1' }]);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('persists the embedded store to a file when asked, and reopens it', async () => {
    const file = `${require('os').tmpdir()}/recmesh-spec-${process.pid}.sqlite`;
    const config = { RECMESH_PROFILE: 'embedded' as const, KAFKA_BROKERS: [], MYSQL_URL: 'mysql://unused', EMBEDDED_DB_FILE: file };
    const first = await openInfrastructure(config, 'spec');
    await first.dataSource.query("INSERT INTO catalog_events (event_id, item_id, kind, ts_ms, payload, ingested_at_ms, source_partition, source_offset) VALUES ('c1', 'i1', 'upsert', 1, '{}', 1, 0, 7)");
    await first.close();
    const second = await openInfrastructure(config, 'spec');
    try {
      expect(await second.dataSource.query('SELECT event_id FROM catalog_events')).toEqual([{ event_id: 'c1' }]);
    } finally {
      await second.close();
      require('fs').rmSync(file, { force: true });
    }
  });
});
