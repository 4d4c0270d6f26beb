import { describe, expect, it } from 'vitest';
import { EndpointRateLimits } from './rate-limits.js';
import { TokenBucket } from './token-bucket.js';

/** A manual clock: the bucket reads time from it, timers still run on the real one (short). */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('TokenBucket', () => {
  it('lets a burst through, then refills at the rate', async () => {
    const time = clock();
    const bucket = new TokenBucket({ perMinute: 600, burstSeconds: 1, now: time.now });
    expect(bucket.capacity).toBe(10);
    for (let i = 0; i < 10; i += 1) await bucket.take(1);
    expect(bucket.available).toBe(0);
    time.advance(250);
    expect(bucket.available).toBeCloseTo(2.5);
  });

  it('lets a take larger than the bucket through when full, into debt', async () => {
    const time = clock();
    const bucket = new TokenBucket({ perMinute: 60, now: time.now });
    await bucket.take(5);
    expect(bucket.available).toBe(-4);
  });

  it('adjust settles an estimate against the real amount', () => {
    const time = clock();
    const bucket = new TokenBucket({ perMinute: 6000, now: time.now });
    bucket.adjust(30);
    expect(bucket.available).toBe(70);
    bucket.adjust(-500);
    expect(bucket.available).toBe(100);
  });

  it('serves waiters in FIFO order and drops aborted ones', async () => {
    const bucket = new TokenBucket({ perMinute: 60_000, burstSeconds: 0 });
    const order: number[] = [];
    await bucket.take(1);
    const controller = new AbortController();
    const first = bucket.take(1).then(() => order.push(1));
    const aborted = bucket.take(1, controller.signal);
    const third = bucket.take(1).then(() => order.push(3));
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    await Promise.all([first, third]);
    expect(order).toEqual([1, 3]);
  });

  it('holds calls while the server says nothing is left, until its reset', async () => {
    const time = clock();
    const bucket = new TokenBucket({ perMinute: undefined, now: time.now });
    bucket.tighten(0, 50);
    let granted = false;
    const take = bucket.take(1).then(() => {
      granted = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(granted).toBe(false);
    time.advance(60);
    await take;
    expect(granted).toBe(true);
  });
});

describe('EndpointRateLimits', () => {
  it('tightens from x-ratelimit headers', async () => {
    const time = clock();
    const limits = new EndpointRateLimits({ requestsPerMinute: 600, now: time.now });
    limits.observe({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s' });
    const pending = limits.acquire(0);
    expect(limits.requests.waiting).toBe(1);
    limits.close(new Error('closed'));
    await expect(pending).rejects.toThrow('closed');
  });

  it('settles token estimates from usage', async () => {
    const time = clock();
    const limits = new EndpointRateLimits({ tokensPerMinute: 60_000, now: time.now });
    await limits.acquire(400);
    expect(limits.tokens.available).toBe(600);
    limits.settle(400, 100);
    expect(limits.tokens.available).toBe(900);
    await limits.acquire(100);
    limits.settle(100, undefined);
    expect(limits.tokens.available).toBe(900);
  });
});
