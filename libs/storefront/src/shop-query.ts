import { BadRequestException } from '@nestjs/common';

/** What the page may ask of /shop/api; the gateway's own validation (ids, lengths, control characters) runs after. */
export interface RecommendParams {
  readonly user: string;
  readonly k: number;
  readonly cart: readonly string[];
}

export interface SimilarParams {
  readonly item: string;
  readonly user?: string;
  readonly k: number;
}

export interface BundleParams {
  readonly item: string;
  readonly user?: string;
  /** Currency units, at most two decimals. */
  readonly budget?: number;
  readonly size: number;
  readonly count: number;
}

const MAX_CART = 50;
const BUDGET = /^\d{1,7}(\.\d{1,2})?$/;

type Query = Readonly<Record<string, unknown>>;

function one(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`${name} must be given once, as a plain value`);
  return value;
}

function required(query: Query, name: string): string {
  const value = one(query, name);
  if (value === undefined || value === '') throw new BadRequestException(`${name} is required`);
  return value;
}

function optional(query: Query, name: string): string | undefined {
  const value = one(query, name);
  return value === '' ? undefined : value;
}

function int(query: Query, name: string, min: number, max: number, fallback: number): number {
  const value = optional(query, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,6}$/.test(value) || Number(value) < min || Number(value) > max) throw new BadRequestException(`${name} must be an integer in ${min}..${max}, got "${value.slice(0, 20)}"`);
  return Number(value);
}

export function recommendParams(query: Query): RecommendParams {
  const cart = optional(query, 'cart')?.split(',').filter(Boolean) ?? [];
  if (cart.length > MAX_CART) throw new BadRequestException(`cart holds at most ${MAX_CART} item ids, got ${cart.length}`);
  return { user: required(query, 'user'), k: int(query, 'k', 1, 50, 12), cart };
}

export function similarParams(query: Query): SimilarParams {
  return { item: required(query, 'item'), user: optional(query, 'user'), k: int(query, 'k', 1, 50, 6) };
}

export function bundleParams(query: Query): BundleParams {
  const budget = optional(query, 'budget');
  if (budget !== undefined && !BUDGET.test(budget)) throw new BadRequestException(`budget must be an amount like 700 or 249.90, got "${budget.slice(0, 20)}"`);
  return {
    item: required(query, 'item'),
    user: optional(query, 'user'),
    budget: budget === undefined ? undefined : Number(budget),
    size: int(query, 'size', 2, 5, 3),
    count: int(query, 'count', 1, 5, 3),
  };
}
