import { parseExportArgs, parseTime } from './export-args';

describe('npm run export flags', () => {
  it('reads ISO 8601 (UTC unless a zone is given) and unix milliseconds', () => {
    expect(parseTime('2025-11-01')).toBe(Date.UTC(2025, 10, 1));
    expect(parseTime('2025-11-01T12:30')).toBe(Date.UTC(2025, 10, 1, 12, 30));
    expect(parseTime('2025-11-01T12:30:05.250Z')).toBe(Date.UTC(2025, 10, 1, 12, 30, 5, 250));
    expect(parseTime('2025-11-01T12:30:00+02:00')).toBe(Date.UTC(2025, 10, 1, 10, 30));
    expect(parseTime('1764000000000')).toBe(1_764_000_000_000);
    for (const bad of ['yesterday', '2025-13-01', '2025-11-01 12:00', '1.5', '-5', '11/01/2025', '2025-02-30', '']) expect(parseTime(bad)).toBeUndefined();
  });

  it('accepts --flag value and --flag=value', () => {
    expect(parseExportArgs(['--out', 'd', '--from=2025-11-01', '--to', '1764000000000', '--page-size', '100'])).toEqual({
      outDir: 'd', fromMs: Date.UTC(2025, 10, 1), toMs: 1_764_000_000_000, pageSize: 100,
    });
    expect(parseExportArgs(['--out=d'])).toEqual({ outDir: 'd', fromMs: undefined, toMs: undefined, pageSize: undefined });
  });

  it('reports every problem at once with the usage', () => {
    let message = '';
    try {
      parseExportArgs(['--from', 'soon', '--bogus', '--page-size', '0']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n').slice(0, 4)).toEqual([
      'unknown argument "--bogus"',
      '--out DIR is required',
      '--from "soon" is neither ISO 8601 (e.g. 2025-11-01T00:00:00Z) nor unix milliseconds',
      '--page-size "0" is not a positive integer',
    ]);
    expect(message).toContain('usage: npm run export -- --out DIR');
  });

  it('refuses an empty window and a flag without its value', () => {
    expect(() => parseExportArgs(['--out', 'd', '--from', '2025-11-02', '--to', '2025-11-01'])).toThrow('--from 2025-11-02T00:00:00.000Z is not before --to 2025-11-01T00:00:00.000Z');
    expect(() => parseExportArgs(['--out', 'd', '--from', '5', '--to', '5'])).toThrow(/is not before --to/);
    expect(() => parseExportArgs(['--out', '--from', '5'])).toThrow(/^--out needs a value\n--out DIR is required/);
    expect(() => parseExportArgs(['--out', 'd', '--out', 'e'])).toThrow('--out is given twice');
  });
});
