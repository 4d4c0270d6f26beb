import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrencyLimiter, type ConcurrencySlot } from './adaptive-limiter.js';

describe('AdaptiveConcurrencyLimiter', () => {
  it('grants up to the limit and queues the rest in FIFO order', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({ max: 2 });
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const order: string[] = [];
    const c = limiter.acquire().then((slot) => {
      order.push('c');
      return slot;
    });
    const d = limiter.acquire().then((slot) => {
      order.push('d');
      return slot;
    });
    expect(limiter.queued).toBe(2);
    a.release('neutral');
    (await c).release('neutral');
    b.release('neutral');
    (await d).release('neutral');
    expect(order).toEqual(['c', 'd']);
    expect(limiter.inFlight).toBe(0);
    expect(limiter.queued).toBe(0);
  });

  it('halves on overload once per congestion event, down to min', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({ max: 8 });
    const slots: ConcurrencySlot[] = [];
    for (let i = 0; i < 8; i += 1) slots.push(await limiter.acquire());
    // Eight 429s answering requests sent at the same limit: one halving.
    for (const slot of slots) slot.release('overload');
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 5; i += 1) (await limiter.acquire()).release('overload');
    expect(limiter.limit).toBe(1);
  });

  it('recovers additively after successes, up to max', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({ max: 4 });
    (await limiter.acquire()).release('overload');
    (await limiter.acquire()).release('overload');
    expect(limiter.limit).toBe(1);
    (await limiter.acquire()).release('success');
    expect(limiter.limit).toBe(2);
    (await limiter.acquire()).release('success');
    expect(limiter.limit).toBe(2);
    (await limiter.acquire()).release('success');
    expect(limiter.limit).toBe(3);
    for (let i = 0; i < 20; i += 1) (await limiter.acquire()).release('success');
    expect(limiter.limit).toBe(4);
  });

  it('keeps a fixed limit when not adaptive', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({ max: 4, adaptive: false });
    (await limiter.acquire()).release('overload');
    expect(limiter.limit).toBe(4);
  });

  it('a queued waiter leaves on abort and the queue moves on', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({ max: 1 });
    const held = await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    expect(limiter.queued).toBe(1);
    held.release('neutral');
    const slot = await next;
    expect(limiter.inFlight).toBe(1);
    slot.release('neutral');
    slot.release('neutral');
    expect(limiter.inFlight).toBe(0);
  });
});
