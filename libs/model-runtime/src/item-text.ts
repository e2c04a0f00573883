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

/** Category string of a category path, as the normalized datasets write it. */
export function categoryLabel(path: readonly string[]): string {
  return path.join(' > ');
}
