import { RateLimitedLog } from './rate-limited-log';

describe('RateLimitedLog', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('writes at most maxLines per window, then says how many it suppressed when the window ends', () => {
    const lines: string[] = [];
    const log = new RateLimitedLog((line) => lines.push(line), { maxLines: 3, windowMs: 10_000 });
    for (let i = 1; i <= 50; i++) log.log(`bad request ${i}`);
    expect(lines).toEqual(['bad request 1', 'bad request 2', 'bad request 3']);
    jest.advanceTimersByTime(9_999);
    expect(lines).toHaveLength(3);
    jest.advanceTimersByTime(1);
    expect(lines).toEqual(['bad request 1', 'bad request 2', 'bad request 3', 'suppressed 47 similar lines in the last 10 s']);
    // A new window: lines pass again.
    log.log('bad request 51');
    expect(lines[4]).toBe('bad request 51');
  });

  it('writes no summary when nothing was suppressed, and a later window starts fresh', () => {
    const lines: string[] = [];
    const log = new RateLimitedLog((line) => lines.push(line), { maxLines: 2, windowMs: 10_000 });
    log.log('a');
    jest.advanceTimersByTime(60_000);
    log.log('b');
    log.log('c');
    log.log('d');
    jest.advanceTimersByTime(10_000);
    log.log('e');
    expect(lines).toEqual(['a', 'b', 'c', 'suppressed 1 similar line in the last 10 s', 'e']);
    expect(jest.getTimerCount()).toBe(0);
  });
});
