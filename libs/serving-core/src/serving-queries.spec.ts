import { create } from '@bufbuild/protobuf';
import { FiltersSchema } from '@recmesh/contracts';
import { filtersOf } from './serving-queries';

describe('filtersOf', () => {
  it('carries every field of the proto Filters message, so a filter added to the proto reaches scorer and bundler without code', () => {
    const query = { userId: 'u-1', k: 5, categories: ['Shoes'], minPrice: 0, maxPrice: 90, excludeItemIds: ['sku-1'] };
    const picked = filtersOf(query);
    expect(picked).toEqual({ categories: ['Shoes'], minPrice: 0, maxPrice: 90, excludeItemIds: ['sku-1'] });
    expect(Object.keys(filtersOf(create(FiltersSchema, { minPrice: 1, maxPrice: 2 }))).sort()).toEqual(FiltersSchema.fields.map((f) => f.localName).sort());
  });

  it('leaves unset optional bounds out (0 stays a real bound)', () => {
    expect(filtersOf({ categories: [], excludeItemIds: [] })).toEqual({ categories: [], excludeItemIds: [] });
    expect(filtersOf({ minPrice: 0 })).toEqual({ minPrice: 0 });
  });
});
