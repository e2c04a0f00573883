import { BusTimeoutError, withTimeout } from './with-timeout';

describe('withTimeout', () => {
  afterEach(() => jest.useRealTimers());

  it('turns work that never settles into a BusTimeoutError naming the operation', async () => {
    jest.useFakeTimers();
    const pending = withTimeout(new Promise<void>(() => undefined), 5000, 'publish of 3 messages to t');
    const outcome = pending.then(() => 'resolved', (error: Error) => error);
    await jest.advanceTimersByTimeAsync(4999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(BusTimeoutError);
    expect((error as BusTimeoutError).message).toBe('publish of 3 messages to t did not complete within 5000 ms');
  });

  it('passes results and errors of work that settles in time through, and leaves no timer behind', async () => {
    jest.useFakeTimers();
    await expect(withTimeout(Promise.resolve(42), 1000, 'x')).resolves.toBe(42);
    await expect(withTimeout(Promise.reject(new Error('broker said no')), 1000, 'x')).rejects.toThrow('broker said no');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('puts no limit on work when the timeout is 0', async () => {
    jest.useFakeTimers();
    let finish: (v: string) => void = () => undefined;
    const pending = withTimeout(new Promise<string>((r) => (finish = r)), 0, 'x');
    await jest.advanceTimersByTimeAsync(10 * 3_600_000);
    finish('late');
    await expect(pending).resolves.toBe('late');
  });
});
