import { BadRequestException } from '@nestjs/common';
import { bundleParams, recommendParams, similarParams } from './shop-query';

function refused(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).message;
  }
  throw new Error('accepted');
}

describe('the storefront API query parameters', () => {
  it('reads recommend with defaults and the cart as a comma-separated list', () => {
    expect(recommendParams({ user: 'user-00001' })).toEqual({ user: 'user-00001', k: 12, cart: [] });
    expect(recommendParams({ user: 'u', k: '5', cart: 'sku-1,sku-2,' })).toEqual({ user: 'u', k: 5, cart: ['sku-1', 'sku-2'] });
  });

  it('names the parameter that is missing, repeated or out of range', () => {
    expect(refused(() => recommendParams({}))).toBe('user is required');
    expect(refused(() => recommendParams({ user: ['a', 'b'] }))).toBe('user must be given once, as a plain value');
    expect(refused(() => recommendParams({ user: 'u', k: '0' }))).toBe('k must be an integer in 1..50, got "0"');
    expect(refused(() => recommendParams({ user: 'u', k: '2.5' }))).toMatch(/^k must be an integer/);
    expect(refused(() => recommendParams({ user: 'u', cart: Array.from({ length: 51 }, (_, i) => `s${i}`).join(',') }))).toBe('cart holds at most 50 item ids, got 51');
    expect(refused(() => similarParams({ k: '3' }))).toBe('item is required');
  });

  it('reads a budget in currency units with at most two decimals, and refuses anything else', () => {
    expect(bundleParams({ item: 'sku-1', budget: '249.90', user: 'u' })).toEqual({ item: 'sku-1', user: 'u', budget: 249.9, size: 3, count: 3 });
    expect(bundleParams({ item: 'sku-1', budget: '' }).budget).toBeUndefined();
    for (const bad of ['abc', '-5', '1e3', '12.345', '99999999']) expect(refused(() => bundleParams({ item: 'sku-1', budget: bad }))).toMatch(/^budget must be an amount like 700 or 249.90/);
    expect(refused(() => bundleParams({ item: 'sku-1', size: '9' }))).toBe('size must be an integer in 2..5, got "9"');
  });
});
