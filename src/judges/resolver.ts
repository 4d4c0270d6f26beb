import type { ModelRef } from '../config/schema.js';
import type { JudgeClient, JudgeResponse } from '../core/judge.js';
import type { LocalModel } from '../providers/local-model.js';
import type { JudgeCost } from './prices.js';

/**
 * Gives LLM scorers their judge: the scorer's own model reference when it names one, otherwise the
 * run's default judge (`judge.model` in the eval file; `openai:/gpt-4.1-mini` with OPENAI_API_KEY set;
 * else the embedded local model). Clients are shared per endpoint so rate limits hold across scorers.
 */
export interface JudgeResolver {
  /**
   * The client for a model reference (the default judge when omitted). Throws `ConfigError` for a bad
   * reference or a missing API key, `MissingComponentError` for a missing local model file — so a
   * scorer that calls it while being built fails the run before the first row.
   */
  resolve(ref?: ModelRef, options?: ResolveOptions): JudgeClient;
  /**
   * The environment variables holding the API keys of every judge resolved so far (a Ray worker must
   * have them). Optional so that test doubles may leave it out.
   */
  keyVariables?(): string[];
  /** Run-wide judge settings (eval file `judge:`), overridable per scorer. */
  readonly defaults: JudgeDefaults;
  /**
   * USD cost of one call made by a client this resolver gave out, from the price table (`judge.prices`
   * over the built-in OpenAI prices); undefined when the model's price is unknown. Optional so that test
   * doubles may leave it out.
   */
  cost?(client: JudgeClient, response: JudgeResponse): JudgeCost | undefined;
  /**
   * The loaded local model for a GGUF path (default: the default local judge's), shared with the local
   * judge clients — so a run whose model under test is the same local model keeps one instance and one
   * queue. Loaded on first call; closed with the resolver. Optional so that test doubles may leave it out.
   */
  localModel?(modelPath?: string): Promise<LocalModel>;
  close(): Promise<void>;
}

export interface ResolveOptions {
  /** Config field naming the reference, for error messages (`scorers[2].model`). */
  field?: string;
}

export interface JudgeDefaults {
  /** Default 0. */
  temperature: number;
  /** Cap on verdict tokens. */
  maxTokens: number;
  /** Self-consistency samples (1 = off). */
  samples: number;
}
