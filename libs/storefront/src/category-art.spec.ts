import { categoryArt, categoryArtPath, initialsOf } from './category-art';
import { formatMinor, toMinor } from './money';

describe('category pictures', () => {
  it('draws the initials on a colour of the category, the same every time', () => {
    const svg = categoryArt('Running Shoes')!;
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('>RS</text>');
    expect(categoryArt('Running Shoes')).toBe(svg);
    const hue = (s: string) => /hsl\((\d+),/.exec(s)?.[1];
    expect(hue(categoryArt('Coffee Beans')!)).not.toBe(hue(svg));
  });

  it('escapes the name and refuses empty, long or control-character names', () => {
    expect(categoryArt('Tea & <Cups>')).toContain('Tea &amp; &lt;Cups&gt;');
    expect(categoryArt('')).toBeUndefined();
    expect(categoryArt('x'.repeat(129))).toBeUndefined();
    expect(categoryArt('a\nb')).toBeUndefined();
  });

  it('takes two initials from two words, two letters from one', () => {
    expect(initialsOf('Phone Cases')).toBe('PC');
    expect(initialsOf('Mugs')).toBe('MU');
    expect(categoryArtPath('Phone Cases')).toBe('/shop/art/Phone%20Cases.svg');
  });
});

describe('money', () => {
  it('keeps prices as integer hundredths and shows them exactly', () => {
    expect(toMinor(19.9)).toBe(1990);
    expect(toMinor(0.1 + 0.2)).toBe(30);
    expect(formatMinor(1990)).toBe('19.90');
    expect(formatMinor(5)).toBe('0.05');
    expect(formatMinor(-250)).toBe('-2.50');
  });
});
