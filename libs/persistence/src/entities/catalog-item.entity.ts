import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-number.transformer';

/** Current state of a catalog item: the newest change by ts_ms wins. */
@Entity({ name: 'catalog_items' })
@Index('ix_catalog_items_leaf_category', ['leafCategory'])
export class CatalogItemEntity {
  @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @Column({ type: 'varchar', length: 512 })
  title!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ name: 'category_path', type: 'simple-json' })
  categoryPath!: string[];

  @Column({ name: 'leaf_category', type: 'varchar', length: 128, default: '' })
  leafCategory!: string;

  @Column({ type: 'varchar', length: 128, default: '' })
  brand!: string;

  @Column({ type: 'double', nullable: true, default: null })
  price!: number | null;

  @Column({ type: 'varchar', length: 3, default: '' })
  currency!: string;

  @Column({ name: 'in_stock', type: 'smallint', default: 1 })
  inStock!: number;

  @Column({ type: 'simple-json' })
  attributes!: Record<string, string>;

  @Column({ type: 'smallint', default: 0 })
  deleted!: number;

  @Column({ name: 'updated_ts_ms', type: 'bigint', transformer: bigintAsNumber })
  updatedTsMs!: number;
}
