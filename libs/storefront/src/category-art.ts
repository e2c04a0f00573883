/**
 * A generated picture per leaf category in place of product photos: the
 * category's initials on a colour of its own (a hash of its name), as SVG.
 */

const MAX_CATEGORY_LENGTH = 128;

export function categoryArtPath(category: string): string {
  return `/shop/art/${encodeURIComponent(category || 'Other')}.svg`;
}

/** FNV-1a: the same category gets the same colour in every process. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function initialsOf(category: string): string {
  const words = category.split(/[\s\-_/&]+/).filter((w) => /^[\p{L}\p{N}]/u.test(w));
  const letters = (words.length > 1 ? [words[0][0], words[1][0]] : [...(words[0] ?? '?')].slice(0, 2)).join('');
  return letters.toUpperCase() || '?';
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** The SVG for a category name; undefined for a name that is empty, too long or holds control characters. */
export function categoryArt(category: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (category.length === 0 || category.length > MAX_CATEGORY_LENGTH || /[\u0000-\u001f\u007f]/.test(category)) return undefined;
  const h = hash(category);
  const hue = h % 360;
  const label = escapeXml(category);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 180" width="240" height="180" role="img" aria-label="${label}">`,
    `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},62%,58%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},58%,42%)"/></linearGradient></defs>`,
    '<rect width="240" height="180" rx="12" fill="url(#g)"/>',
    `<circle cx="${40 + (h >>> 9) % 160}" cy="${30 + (h >>> 17) % 40}" r="${18 + (h >>> 25) % 20}" fill="#fff" fill-opacity="0.12"/>`,
    `<text x="120" y="102" text-anchor="middle" font-family="Liberation Sans, Arial, sans-serif" font-size="56" font-weight="700" fill="#fff">${escapeXml(initialsOf(category))}</text>`,
    `<text x="120" y="148" text-anchor="middle" font-family="Liberation Sans, Arial, sans-serif" font-size="15" fill="#fff" fill-opacity="0.9">${label}</text>`,
    '</svg>',
  ].join('');
}
