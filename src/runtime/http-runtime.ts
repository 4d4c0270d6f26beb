import { createHash } from 'node:crypto';
import { JudgeflowError } from '../core/errors.js';
import { canonicalJson } from '../core/json.js';
import { definedOnly } from '../http/retry-policy.js';
import { type EndpointOptions, HttpEndpoint } from './http-endpoint.js';

export interface HttpRuntimeOptions {
  /** Defaults for every endpoint; per-endpoint options override them field by field. */
  defaults?: EndpointOptions;
  /** Uniform [0,1) source for backoff jitter (tests pass a fixed one). */
  random?: () => number;
}

/**
 * Every outbound model and judge call goes through one runtime, passed explicitly (never a global).
 * It hands out one `HttpEndpoint` per base URL and options: asking twice for the same pair returns the
 * same endpoint, so the model under test and several judge scorers that name the same server share its
 * connections, its adaptive concurrency and its rate budgets.
 */
export class HttpRuntime {
  readonly #defaults: EndpointOptions;
  readonly #random: (() => number) | undefined;
  readonly #endpoints = new Map<string, HttpEndpoint>();
  #closed = false;

  constructor(options: HttpRuntimeOptions = {}) {
    this.#defaults = options.defaults ?? {};
    this.#random = options.random;
  }

  endpoint(baseUrl: string, options: EndpointOptions = {}): HttpEndpoint {
    if (this.#closed) throw new JudgeflowError('the HTTP runtime is closed; no new endpoints can be made');
    const merged: EndpointOptions = { ...this.#defaults, ...definedOnly(options) };
    if (this.#defaults.retry !== undefined || options.retry !== undefined) {
      merged.retry = { ...this.#defaults.retry, ...definedOnly(options.retry ?? {}) };
    }
    if (this.#defaults.headers !== undefined || options.headers !== undefined) {
      merged.headers = { ...this.#defaults.headers, ...options.headers };
    }
    // Hashed so the map never holds an API key in readable form.
    const key = createHash('sha256')
      .update(`${baseUrl.replace(/\/+$/, '')}\n${canonicalJson(merged)}`)
      .digest('hex');
    let endpoint = this.#endpoints.get(key);
    if (endpoint === undefined) {
      endpoint = new HttpEndpoint(
        baseUrl,
        merged,
        this.#random !== undefined ? { random: this.#random } : {},
      );
      this.#endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  /** The endpoints handed out so far (for stats). */
  endpoints(): HttpEndpoint[] {
    return [...this.#endpoints.values()];
  }

  /** Closes every endpoint's pool. Abort in-flight calls first (the run's signal) to end at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#endpoints.values()].map((endpoint) => endpoint.close()));
    this.#endpoints.clear();
  }

  /** Closes every pool at once, failing calls still in flight — for when a graceful close would hang. */
  async destroy(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#endpoints.values()].map((endpoint) => endpoint.destroy()));
    this.#endpoints.clear();
  }
}
