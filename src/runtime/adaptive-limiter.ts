/** How a call that held a slot ended, as far as the endpoint's load is concerned. */
export type SlotOutcome = 'success' | 'overload' | 'neutral';

/** A slot held by one call. Release it exactly once (later calls are ignored). */
export interface ConcurrencySlot {
  release(outcome: SlotOutcome): void;
}

export interface AdaptiveLimiterOptions {
  /** The limit to start at and never exceed. */
  max: number;
  /** The floor the limit never drops below (default 1). */
  min?: number;
  /** false: a fixed limit of `max` (overload outcomes are ignored). Default true. */
  adaptive?: boolean;
}

interface Waiter {
  resolve: (slot: ConcurrencySlot) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  cancelled: boolean;
}

/**
 * Per-endpoint adaptive concurrency (AIMD): the limit starts at `max`, halves on an overload response
 * (429/503) and grows back by about one slot per window of successes. Callers wait for a slot in a FIFO
 * queue, so a throttled endpoint holds a bounded number of requests and serves waiters in arrival order.
 *
 * One halving per congestion event: a burst of 429s answering requests that were all sent at the same
 * limit halves it once, not once per response (the same rule TCP uses per round trip).
 */
export class AdaptiveConcurrencyLimiter {
  readonly max: number;
  readonly min: number;
  readonly #adaptive: boolean;
  #limit: number;
  #inFlight = 0;
  /** Bumped on every decrease; a slot remembers the generation it was granted in. */
  #generation = 0;
  #queue: Array<Waiter | undefined> = [];
  #head = 0;
  #queued = 0;

  constructor(options: AdaptiveLimiterOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) {
      throw new RangeError(`concurrency max must be a positive integer, got ${options.max}`);
    }
    this.max = options.max;
    this.min = Math.min(this.max, Math.max(1, options.min ?? 1));
    this.#adaptive = options.adaptive ?? true;
    this.#limit = this.max;
  }

  /** The current concurrency limit (an integer between `min` and `max`). */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.#queued;
  }

  /** Waits (FIFO) for a slot; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<ConcurrencySlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queued === 0 && this.#inFlight < this.limit) {
      this.#inFlight += 1;
      return Promise.resolve(this.#slot());
    }
    return new Promise<ConcurrencySlot>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, cancelled: false };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (waiter.cancelled) return;
          waiter.cancelled = true;
          this.#queued -= 1;
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#queued += 1;
    });
  }

  #slot(): ConcurrencySlot {
    const generation = this.#generation;
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
        if (outcome === 'overload') this.#decrease(generation);
        else if (outcome === 'success') this.#increase();
        this.#drain();
      },
    };
  }

  #decrease(generation: number): void {
    if (!this.#adaptive || generation !== this.#generation) return;
    this.#generation += 1;
    this.#limit = Math.max(this.min, Math.floor(this.#limit / 2));
  }

  #increase(): void {
    if (!this.#adaptive || this.#limit >= this.max) return;
    this.#limit = Math.min(this.max, this.#limit + 1 / Math.floor(this.#limit));
  }

  #drain(): void {
    while (this.#queued > 0 && this.#inFlight < this.limit) {
      const waiter = this.#queue[this.#head];
      this.#queue[this.#head] = undefined;
      this.#head += 1;
      if (waiter === undefined || waiter.cancelled) continue;
      waiter.cancelled = true;
      this.#queued -= 1;
      if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.#inFlight += 1;
      waiter.resolve(this.#slot());
    }
    // Served and cancelled waiters stay in the array until passed; drop them so it does not grow.
    if (this.#queued === 0) {
      if (this.#queue.length > 0) this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
