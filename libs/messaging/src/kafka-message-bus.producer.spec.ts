import { BusTimeoutError } from './with-timeout';

/** A kafkajs whose producers are fakes; every send of every producer is answered by `answers`, in order. */
const producers: Array<{ connect: jest.Mock; send: jest.Mock; disconnect: jest.Mock }> = [];
let answers: Array<() => Promise<unknown>> = [];
/** How many of the next producers never finish connecting. */
let hangingConnects = 0;
jest.mock('kafkajs', () => {
  const actual = jest.requireActual('kafkajs');
  return {
    ...actual,
    Kafka: jest.fn().mockImplementation(() => ({
      producer: () => {
        const producer = { connect: jest.fn(() => (hangingConnects-- > 0 ? new Promise(() => undefined) : Promise.resolve())), send: jest.fn(() => answers.shift()!()), disconnect: jest.fn(async () => undefined) };
        producers.push(producer);
        return producer;
      },
    })),
  };
});

// Imported after the mock so the bus gets the fake kafkajs.
import { KafkaMessageBus } from './kafka-message-bus';

describe('KafkaMessageBus publish', () => {
  const bus = () => new KafkaMessageBus({ brokers: ['127.0.0.1:1'], clientId: 'spec', operationTimeoutMs: 2000, stallMs: 0 });
  beforeEach(() => (producers.length = 0));
  afterEach(() => jest.useRealTimers());

  it('fails a send that never settles after the operation timeout, and publishes the next batch on a new producer', async () => {
    jest.useFakeTimers();
    answers = [() => new Promise(() => undefined), async () => []];
    const b = bus();
    const outcome = b.publish('normalized', [{ key: 'u-1', value: 'a' }]).then(() => undefined, (error: Error) => error);
    await jest.advanceTimersByTimeAsync(1999);
    expect(producers[0].disconnect).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(BusTimeoutError);
    expect((error as Error).message).toBe('publish of 1 messages to normalized did not complete within 2000 ms');
    expect(producers[0].disconnect).toHaveBeenCalled();

    await expect(b.publish('normalized', [{ key: 'u-2', value: 'b' }])).resolves.toBeUndefined();
    expect(producers).toHaveLength(2);
    expect(producers[1].send).toHaveBeenCalledWith(expect.objectContaining({ topic: 'normalized', acks: -1 }));
  });

  it('replaces the producer after a send that failed (its sequence numbers may be out of step with the broker), and keeps a healthy one', async () => {
    answers = [async () => [], async () => [], async () => Promise.reject(new Error('Connection closed')), async () => []];
    const b = bus();
    await b.publish('normalized', [{ value: 'a' }]);
    await b.publish('normalized', [{ value: 'b' }]);
    expect(producers).toHaveLength(1);
    await expect(b.publish('normalized', [{ value: 'c' }])).rejects.toThrow('Connection closed');
    expect(producers[0].disconnect).toHaveBeenCalled();
    await b.publish('normalized', [{ value: 'd' }]);
    expect(producers).toHaveLength(2);
    expect(producers[1].send).toHaveBeenCalledTimes(1);
  });

  it('fails a producer connect that never settles and connects afresh on the next publish', async () => {
    jest.useFakeTimers();
    answers = [async () => []];
    hangingConnects = 1;
    const b = bus();
    const outcome = b.publish('normalized', [{ value: 'a' }]).then(() => undefined, (error: Error) => error);
    await jest.advanceTimersByTimeAsync(2000);
    expect(await outcome).toBeInstanceOf(BusTimeoutError);
    await expect(b.publish('normalized', [{ value: 'b' }])).resolves.toBeUndefined();
    expect(producers).toHaveLength(2);
  });
});
