import { ValueTransformer } from 'typeorm';

/** mysql2 returns BIGINT as strings; epoch milliseconds and offsets fit a double exactly. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
