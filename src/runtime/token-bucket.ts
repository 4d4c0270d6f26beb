export interface TokenBucketOptions {
  /** Refill rate; undefined for no configured rate (only a server's rate-limit headers can then hold calls). */
  perMinute: number | undefined;
  /**
   * Burst size, in seconds of the rate (default 1): how much may go out at once after a quiet period.
   * Small bursts space calls evenly instead of spending a minute's budget in the first second.
   */
  burstSeconds?: number;
  /** Monotonic clock in ms (tests may pass their own). */
  now?: () => number;
}

interface Waiter {
  amount: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

/**
 * A FIFO token bucket for requests-per-minute or tokens-per-minute budgets. A take larger than the bucket
 * waits for a full bucket and then drives it negative (debt), so big requests are never starved and the
 * average rate still holds. Charges can be corrected after the fact (`adjust`): token budgets are taken
 * from an estimate before the call and settled from the response's usage.
 *
 * A server's own view (`x-ratelimit-remaining-*` with `x-ratelimit-reset-*`) tightens it: until the reset
 * time, no more than the remaining amount is let through, whatever the configured rate.
 */
export class TokenBucket {
  readonly perMinute: number | undefined;
  readonly capacity: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;
  #serverRemaining: number | undefined;
  #serverResetAt = 0;
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TokenBucketOptions) {
    if (options.perMinute !== undefined && !(options.perMinute > 0)) {
      throw new RangeError(`rate per minute must be positive, got ${options.perMinute}`);
    }
    this.perMinute = options.perMinute;
    this.#now = options.now ?? (() => performance.now());
    const burstSeconds = options.burstSeconds ?? 1;
    this.capacity =
      options.perMinute === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(1, (options.perMinute * burstSeconds) / 60);
    this.#tokens = this.capacity;
    this.#updatedAt = this.#now();
  }

  /** Tokens available now (negative while in debt). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Callers waiting. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Waits (FIFO) until `amount` may be spent, then spends it. Rejects with the signal's reason on abort. */
  take(amount: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiters.length === 0 && this.#delayFor(amount) === 0) {
      this.#spend(amount);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { amount, resolve, reject, signal, onAbort: undefined, done: false };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (waiter.done) return;
          waiter.done = true;
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(signal.reason);
          this.#schedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /** Corrects an earlier take: positive spends more, negative gives back (never above capacity). */
  adjust(delta: number): void {
    if (delta === 0 || this.perMinute === undefined) return;
    this.#refill();
    this.#tokens = Math.min(this.capacity, this.#tokens - delta);
    this.#schedule();
  }

  /** Applies the server's `remaining` budget until `resetInMs` from now. */
  tighten(remaining: number, resetInMs: number): void {
    if (!Number.isFinite(remaining) || !Number.isFinite(resetInMs)) return;
    this.#serverRemaining = Math.max(0, remaining);
    this.#serverResetAt = this.#now() + Math.max(0, resetInMs);
    this.#schedule();
  }

  /** Rejects every waiter and stops the timer. */
  close(reason: unknown): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.done = true;
      if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(reason);
    }
  }

  #refill(): void {
    const now = this.#now();
    if (this.perMinute !== undefined) {
      this.#tokens = Math.min(
        this.capacity,
        this.#tokens + ((now - this.#updatedAt) * this.perMinute) / 60_000,
      );
    }
    this.#updatedAt = now;
    if (this.#serverRemaining !== undefined && now >= this.#serverResetAt) this.#serverRemaining = undefined;
  }

  /** ms until `amount` may be spent; 0 when it may be spent now. */
  #delayFor(amount: number): number {
    this.#refill();
    const now = this.#now();
    if (this.#serverRemaining !== undefined && this.#serverRemaining < amount) {
      return Math.max(1, this.#serverResetAt - now);
    }
    if (this.perMinute === undefined) return 0;
    const needed = Math.min(amount, this.capacity) - this.#tokens;
    if (needed <= 0) return 0;
    return Math.max(1, Math.ceil((needed * 60_000) / this.perMinute));
  }

  #spend(amount: number): void {
    if (this.perMinute !== undefined) this.#tokens -= amount;
    if (this.#serverRemaining !== undefined) this.#serverRemaining -= amount;
  }

  #schedule(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0] as Waiter;
      const delay = this.#delayFor(head.amount);
      if (delay > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#schedule();
        }, delay);
        return;
      }
      this.#waiters.shift();
      head.done = true;
      if (head.onAbort !== undefined) head.signal?.removeEventListener('abort', head.onAbort);
      this.#spend(head.amount);
      head.resolve();
    }
  }
}
