/**
 * The text an item is embedded from, exactly as the trainer builds it
 * (tools/model/recmesh_model/data.py `Dataset.item_text`): "title. category.
 * brand" with absent parts left out, and no text at all without a title.
 * Serving must use the same template or cold-item vectors drift from training.
 */
export function itemTextForEncoder(item: { title?: string | null; category?: string | null; brand?: string | null }): string | undefined {
  const title = item.title?.trim();
  if (!title) return undefined;
  return [title, item.category?.trim(), item.brand?.trim()].filter((p): p is string => Boolean(p)).join('. ');
}

/**
 * A shop's catalog attributes as the trainer names them (tools/model data.py `_attributes_of`):
 * "key=value" for every non-empty pair. A model knows the ones two trained items shared.
 */
export function attributeNames(attributes: Readonly<Record<string, string>>): string[] {
  return [...new Set(Object.entries(attributes).filter(([k, v]) => k !== '' && typeof v === 'string' && v !== '').map(([k, v]) => `${k}=${v}`))].sort();
}

/** Category string of a category path, as the normalized datasets write it. */
export function categoryLabel(path: readonly string[]): string {
  return path.join(' > ');
}
