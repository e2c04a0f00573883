import { ReadinessProbe } from './readiness';

describe('ReadinessProbe', () => {
  it('is ready only when every check passes', async () => {
    const probe = new ReadinessProbe();
    probe.register({ name: 'db', check: () => true });
    expect((await probe.report()).ready).toBe(true);
    probe.register({ name: 'bus', check: async () => false });
    const report = await probe.report();
    expect(report.ready).toBe(false);
    expect(report.checks['bus']).toEqual({ ok: false });
  });

  it('reports a throwing or hanging check as failed with its error', async () => {
    const probe = new ReadinessProbe();
    probe.register({ name: 'boom', check: () => { throw new Error('connection refused'); } });
    probe.register({ name: 'slow', check: () => new Promise<boolean>(() => undefined) });
    const report = await probe.report(50);
    expect(report.checks['boom']).toEqual({ ok: false, error: 'connection refused' });
    expect(report.checks['slow'].error).toContain('timed out');
  });

  it('turns not-ready once shutdown starts', async () => {
    const probe = new ReadinessProbe();
    probe.markShuttingDown();
    expect((await probe.report()).ready).toBe(false);
  });
});
