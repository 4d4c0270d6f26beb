import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  isOverloadStatus,
  isRetryableStatus,
  parseResetDuration,
  retryAfterMs,
  sleep,
} from './retry-policy.js';

describe('isRetryableStatus', () => {
  it('retries 408, 409, 429 and 5xx, never other 4xx', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504, 599])
      expect(isRetryableStatus(status)).toBe(true);
    for (const status of [200, 301, 400, 401, 403, 404, 413, 422])
      expect(isRetryableStatus(status)).toBe(false);
    expect(isOverloadStatus(429)).toBe(true);
    expect(isOverloadStatus(503)).toBe(true);
    expect(isOverloadStatus(500)).toBe(false);
  });
});

describe('backoffDelayMs', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
  it('spreads over the whole exponential window (full jitter)', () => {
    expect(backoffDelayMs(0, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(400);
  });
  it('caps the window at maxDelayMs', () => {
    expect(backoffDelayMs(10, policy, () => 0.999)).toBe(999);
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds, fractional seconds and HTTP dates', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after': '0.25' })).toBe(250);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2015 07:28:03 GMT' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2015 07:27:00 GMT' }, now)).toBe(0);
  });
  it('prefers retry-after-ms', () => {
    expect(retryAfterMs({ 'retry-after-ms': '150', 'retry-after': '9' })).toBe(150);
  });
  it('ignores absent or garbage values', () => {
    expect(retryAfterMs({})).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after-ms': 'x', 'retry-after': '1' })).toBe(1000);
  });
});

describe('parseResetDuration', () => {
  it('reads OpenAI durations and plain seconds', () => {
    expect(parseResetDuration('1s')).toBe(1000);
    expect(parseResetDuration('6m0s')).toBe(360_000);
    expect(parseResetDuration('20ms')).toBe(20);
    expect(parseResetDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseResetDuration('0.5')).toBe(500);
  });
  it('rejects anything else', () => {
    expect(parseResetDuration(undefined)).toBeUndefined();
    expect(parseResetDuration('')).toBeUndefined();
    expect(parseResetDuration('1 s')).toBeUndefined();
    expect(parseResetDuration('soon')).toBeUndefined();
  });
});

describe('sleep', () => {
  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
