/** The synthetic shop's departments, leaf categories and what complements what. */
export interface LeafCategory {
  readonly path: readonly [string, string];
  readonly noun: string;
  readonly brands: readonly string[];
  /** Median price in EUR. */
  readonly basePrice: number;
  /** Leaf names bought together with this one (phone → case, charger). */
  readonly complements: readonly string[];
  /** Items of a complement fit a specific anchor item (a case fits one phone). */
  readonly fitsAnchor?: boolean;
}

export const ShopTaxonomy: readonly LeafCategory[] = [
  { path: ['Electronics', 'Smartphones'], noun: 'Phone', brands: ['Nova', 'Pixelon', 'Orbit', 'Zen'], basePrice: 520, complements: ['Phone Cases', 'Chargers', 'Earbuds'] },
  { path: ['Electronics', 'Phone Cases'], noun: 'Case', brands: ['Shieldy', 'Armr', 'Nova'], basePrice: 19, complements: [], fitsAnchor: true },
  { path: ['Electronics', 'Chargers'], noun: 'Charger', brands: ['Voltix', 'Nova', 'Ampere'], basePrice: 25, complements: [], fitsAnchor: true },
  { path: ['Electronics', 'Earbuds'], noun: 'Earbuds', brands: ['Sonique', 'Pixelon', 'Beatline'], basePrice: 89, complements: ['Chargers'] },
  { path: ['Electronics', 'Laptops'], noun: 'Laptop', brands: ['Orbit', 'Zen', 'Lumen'], basePrice: 1100, complements: ['Laptop Bags', 'Chargers', 'Mice'] },
  { path: ['Electronics', 'Laptop Bags'], noun: 'Laptop Bag', brands: ['Carryon', 'Urbanpack'], basePrice: 45, complements: [] },
  { path: ['Electronics', 'Mice'], noun: 'Mouse', brands: ['Clicko', 'Lumen'], basePrice: 29, complements: [] },
  { path: ['Sports', 'Running Shoes'], noun: 'Trail Runner', brands: ['Stride', 'Pacer', 'Altura'], basePrice: 120, complements: ['Running Socks', 'Sports Watches'] },
  { path: ['Sports', 'Running Socks'], noun: 'Running Socks', brands: ['Stride', 'Comfeet'], basePrice: 12, complements: [] },
  { path: ['Sports', 'Sports Watches'], noun: 'GPS Watch', brands: ['Pacer', 'Tempo'], basePrice: 250, complements: ['Chargers'] },
  { path: ['Home', 'Coffee Machines'], noun: 'Espresso Machine', brands: ['Barista', 'Crema'], basePrice: 300, complements: ['Coffee Beans', 'Mugs'] },
  { path: ['Home', 'Coffee Beans'], noun: 'Coffee Beans', brands: ['Roastery', 'Highland'], basePrice: 14, complements: ['Mugs'] },
  { path: ['Home', 'Mugs'], noun: 'Mug', brands: ['Clayworks', 'Crema'], basePrice: 11, complements: [] },
  { path: ['Beauty', 'Shampoo'], noun: 'Shampoo', brands: ['Silka', 'Verde'], basePrice: 9, complements: ['Conditioner', 'Hair Dryers'] },
  { path: ['Beauty', 'Conditioner'], noun: 'Conditioner', brands: ['Silka', 'Verde'], basePrice: 10, complements: [] },
  { path: ['Beauty', 'Hair Dryers'], noun: 'Hair Dryer', brands: ['Airo', 'Silka'], basePrice: 60, complements: [] },
];

export const Adjectives = ['Pro', 'Lite', 'Max', 'Air', 'Classic', 'Eco', 'Plus', 'Mini', 'Ultra', 'Sport'];
export const Colors = ['black', 'white', 'blue', 'red', 'green', 'grey'];
