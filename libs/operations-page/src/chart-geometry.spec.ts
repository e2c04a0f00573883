import { intervalPlot, lineChart, niceCeiling, scaleLinear } from './chart-geometry';
import { money, percent } from './ops-format';

const BOX = { width: 200, height: 110, pad: [40, 10, 10, 20] as const };

describe('chart geometry', () => {
  it('tops axes at 1, 2 or 5 x 10^k', () => {
    expect([0.034, 0.05, 0.051, 0.2, 3, 7, 10, 0.00012].map((v) => niceCeiling(v))).toEqual([0.05, 0.05, 0.1, 0.2, 5, 10, 10, 0.0002]);
    expect(niceCeiling(0)).toBe(1);
    expect(scaleLinear(0, 10, 100, 0)(2.5)).toBe(75);
    expect(scaleLinear(5, 5, 0, 10)(5)).toBe(5);
  });

  it('draws a line per series over time, y from 0, breaking where a bucket has no value', () => {
    const g = lineChart(
      [
        { key: 'm1', points: [{ t: 2000, v: 0.1 }, { t: 0, v: 0 }, { t: 1000, v: null }, { t: 3000, v: 0.2 }, { t: 4000, v: 0.05 }] },
        { key: 'm2', points: [] },
      ],
      BOX,
      0,
      4000,
    );
    expect([g.left, g.right, g.top, g.bottom, g.yMax]).toEqual([40, 190, 10, 90, 0.2]);
    // x: 0..4000 -> 40..190; y: 0..0.2 -> 90..10.
    expect(g.series[0].d).toBe('M40,90 M115,50 L152.5,10 L190,70');
    expect(g.series[0].dots.map((d) => d.v)).toEqual([0, 0.1, 0.2, 0.05]);
    expect(g.series[1]).toEqual({ key: 'm2', d: '', dots: [] });
  });

  it('widens the time axis to points outside the window', () => {
    const g = lineChart([{ key: 'm', points: [{ t: -1000, v: 1 }] }], BOX, 0, 1000);
    expect(g.series[0].d).toBe('M40,10');
  });

  it('puts intervals on an axis symmetric around 0 that holds every bound', () => {
    const plot = intervalPlot([{ key: 'a', estimate: 0.1, lower: -0.05, upper: 0.3 }, { key: 'b', estimate: -0.2, lower: -0.45, upper: 0.02 }], 100, 300);
    expect(plot.extent).toBe(0.5);
    expect(plot.zero).toBe(200);
    expect(plot.rows).toEqual([
      { key: 'a', x: 220, x1: 190, x2: 260 },
      { key: 'b', x: 160, x1: 110, x2: 204 },
    ]);
    expect(intervalPlot([], 0, 100)).toEqual({ zero: 50, extent: 1, rows: [] });
  });
});

describe('numbers on the page', () => {
  it('writes rates as percentages and money from integer minor units', () => {
    expect([percent(0.0345), percent(0.25), percent(0), percent(null)]).toEqual(['3.45%', '25.0%', '0%', '–']);
    expect([money(123_450), money(5), money(-1999), money(null)]).toEqual(['1234.50', '0.05', '-19.99', '–']);
  });
});
