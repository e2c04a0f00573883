import { BadRequestException } from '@nestjs/common';
import { alphaOf, windowHours } from './ops-query';

const message = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    if (error instanceof BadRequestException) return error.message;
    throw error;
  }
  throw new Error('expected a 400');
};

describe('/ops/api parameters', () => {
  it('takes hours 1..720 (24) and alpha in (0, 1) (the admin default)', () => {
    expect([windowHours({}), windowHours({ hours: '1' }), windowHours({ hours: '720' })]).toEqual([24, 1, 720]);
    expect([alphaOf({}), alphaOf({ alpha: '0.1' }), alphaOf({ alpha: '.01' })]).toEqual([0, 0.1, 0.01]);
  });

  it('answers 400 naming the parameter', () => {
    expect(message(() => windowHours({ hours: '0' }))).toBe('hours must be a whole number from 1 to 720, got "0"');
    expect(message(() => windowHours({ hours: '1.5' }))).toMatch(/^hours must be/);
    expect(message(() => windowHours({ hours: ['1', '2'] }))).toBe('hours must be given once, as a plain value');
    expect(message(() => alphaOf({ alpha: '1' }))).toMatch(/^alpha must be a number between 0 and 1/);
    expect(message(() => alphaOf({ alpha: '0.0' }))).toMatch(/^alpha must be/);
  });
});
