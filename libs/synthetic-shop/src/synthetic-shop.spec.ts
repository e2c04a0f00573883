import { buildRawClickstreamMix, ExpectedReason } from './raw-event-mix';
import { generateSyntheticShop } from './synthetic-shop';

describe('generateSyntheticShop', () => {
  const shop = generateSyntheticShop({ seed: 1, items: 800, users: 300 });

  it('is deterministic for a seed', () => {
    const again = generateSyntheticShop({ seed: 1, items: 800, users: 300 });
    expect(again.events.length).toBe(shop.events.length);
    expect(again.events[100]).toEqual(shop.events[100]);
    expect(generateSyntheticShop({ seed: 2, items: 800, users: 300 }).events[100]).not.toEqual(shop.events[100]);
  });

  it('has a long tail: the top 10% of items get most interactions, many items few', () => {
    const counts = new Map<string, number>();
    for (const e of shop.events) counts.set(e.itemId, (counts.get(e.itemId) ?? 0) + 1);
    const sorted = shop.items.map((i) => counts.get(i.itemId) ?? 0).sort((a, b) => b - a);
    const total = sorted.reduce((a, b) => a + b, 0);
    const top = sorted.slice(0, sorted.length / 10).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThan(0.4);
    expect(sorted.filter((c) => c <= 2).length).toBeGreaterThan(shop.items.length / 4);
  });

  it('buys complements after anchors: phone purchases are followed by case or charger purchases in the session', () => {
    const byId = new Map(shop.items.map((i) => [i.itemId, i]));
    const bySession = new Map<string, string[]>();
    for (const e of shop.events.filter((e) => e.action === 'purchase')) {
      bySession.set(e.sessionId, [...(bySession.get(e.sessionId) ?? []), byId.get(e.itemId)!.categoryPath[1]]);
    }
    const phoneSessions = [...bySession.values()].filter((cats) => cats[0] === 'Smartphones');
    const withAccessory = phoneSessions.filter((cats) => cats.includes('Phone Cases') || cats.includes('Chargers'));
    expect(phoneSessions.length).toBeGreaterThan(10);
    expect(withAccessory.length / phoneSessions.length).toBeGreaterThan(0.4);
  });
});

describe('buildRawClickstreamMix', () => {
  it('produces the requested share of malformed and duplicate records, all labelled', () => {
    const shop = generateSyntheticShop({ seed: 3, items: 300, users: 400 });
    const mix = buildRawClickstreamMix(shop.events, { malformedRate: 0.02, duplicateRate: 0.02, seed: 3 });
    const share = (kind: string) => mix.filter((r) => r.kind === kind).length / mix.length;
    expect(share('malformed')).toBeGreaterThan(0.01);
    expect(share('malformed')).toBeLessThan(0.03);
    expect(share('duplicate')).toBeGreaterThan(0.01);
    const kinds = new Set(mix.filter((r) => r.kind === 'malformed').map((r) => r.malformed!));
    expect([...kinds].sort()).toEqual(Object.keys(ExpectedReason).sort());
    for (const dup of mix.filter((r) => r.kind === 'duplicate')) {
      expect(mix.some((r) => r.kind === 'valid' && r.eventId === dup.eventId)).toBe(true);
    }
  });
});
