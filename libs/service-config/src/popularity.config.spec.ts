import { loadConfig } from './env-config';
import { PopularityConfigSchema } from './popularity.config';

describe('PopularityConfigSchema', () => {
  it('defaults the half-life to 72 hours and refuses less than one hour', () => {
    expect(loadConfig(PopularityConfigSchema, {})).toEqual({ POPULARITY_HALF_LIFE_HOURS: 72 });
    expect(() => loadConfig(PopularityConfigSchema, { POPULARITY_HALF_LIFE_HOURS: '0' })).toThrow(/POPULARITY_HALF_LIFE_HOURS=0 is below the minimum 1/);
  });
});
