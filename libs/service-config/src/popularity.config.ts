import { ConfigSchema } from './env-config';

/** The one popularity half-life: the scores feature-builder writes only make sense read with the same one. */
export const PopularityConfigSchema = {
  POPULARITY_HALF_LIFE_HOURS: {
    type: 'int',
    default: 72,
    min: 1,
    description: 'popularity halves after this long without interactions; feature-builder writes and the scorer and bundler read with it',
  },
} as const satisfies ConfigSchema;
