import type { Env } from '../config/env.js';
import type { ModelConfig } from '../config/schema.js';
import type { ChatMessage, JudgeResponse } from '../core/judge.js';
import type { ModelUnderTest } from '../core/model.js';
import type { EndpointOptions, RetryEvent } from '../runtime/http-endpoint.js';
import type { HttpRuntime } from '../runtime/http-runtime.js';
import type { LocalModel } from './local-model.js';
import type { ModelPrice } from './prices.js';

/**
 * The provider contract. "A model endpoint" is one thing whatever role it plays — the model under
 * test, a judge, a pairwise judge: a `ChatEndpoint` made by a `ProviderKind` from an `EndpointRef`.
 * The roles (`src/models`, `src/judges`) are thin users of it.
 */

/** Every provider kind; the eval file's `model.provider` names one. */
export type ProviderName = ModelConfig['provider'];

/** A model endpoint, parsed once at the config boundary (`anthropic:/claude-…`, `{provider, model, …}`). */
export type EndpointRef = HttpEndpointRef | LocalEndpointRef;

/** An endpoint reached over HTTP. */
export interface HttpEndpointRef {
  provider: Exclude<ProviderName, 'local' | 'module'>;
  /** The model name the server expects. */
  model: string;
  /** Base URL; when absent, the kind's default (its `..._BASE_URL` variable, else its public API). */
  baseUrl?: string;
  /** Environment variable holding the key; when absent, the kind's default (`ANTHROPIC_API_KEY`, ...). */
  apiKeyEnv?: string;
}

/** The embedded GGUF model through node-llama-cpp. */
export interface LocalEndpointRef {
  provider: 'local';
  /** Absolute GGUF path; undefined means the default model (`JUDGEFLOW_JUDGE_MODEL`, else the one setup installs). */
  path?: string;
}

/** One chat call, whatever the role. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** Sent only when set (a kind may apply its own default). */
  temperature?: number | undefined;
  /** Cap on reply tokens; sent only when set, unless the kind's API requires one. */
  maxTokens?: number | undefined;
  /** Structured output: the reply must be one JSON object matching `schema` (judges). */
  output?: { name: string; schema: Record<string, unknown> } | undefined;
  signal: AbortSignal;
  /** Told before each HTTP retry (spans record it). */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/**
 * What a chat call returned: what a judge client returns (text, server-reported model, usage, latency,
 * attempts, request id, finish reason in the kind's own words), plus the response as received.
 */
export interface ChatResult extends JudgeResponse {
  /** The response as received (span outputs). */
  body: unknown;
}

/** A call whose request body is known before it is sent, so a span can open with it as inputs. */
export interface PreparedChat {
  /** The request body in the kind's wire format. */
  body: unknown;
  send(): Promise<ChatResult>;
}

/** One model endpoint. */
export interface ChatEndpoint {
  /** MLflow-style URI without base URL or key name: `anthropic:/claude-sonnet-4-5`, `local:/gemma`. */
  readonly uri: string;
  readonly provider: ProviderName;
  /** The model name (`mlflow.llm.model`). */
  readonly model: string;
  prepare(request: ChatRequest): PreparedChat;
}

/** What building an endpoint needs. */
export interface ProviderContext {
  env: Env;
  runtime: HttpRuntime;
  /** Who uses the endpoint: error messages say "the model's API key" or "the judge's API key". */
  role: 'model' | 'judge';
  /** Config field for error messages (`model`, `judge.model`, `scorers[2].model`). */
  field: string;
  /** Endpoint tuning (timeout, retries, concurrency, rpm/tpm). */
  endpoint?: EndpointOptions | undefined;
  /** OpenAI-style kinds: the request field of the token cap (`max_tokens` / `max_completion_tokens`). */
  tokenLimitField?: 'max_tokens' | 'max_completion_tokens' | undefined;
  /** Refuse to build without the API key (default true; off on a Ray driver, which never calls). */
  requireKey?: boolean | undefined;
  /** The `local` kind: loads (once, shared by every user of the file) a GGUF model. */
  loadLocalModel?: ((modelPath: string) => Promise<LocalModel>) | undefined;
  /** Relative GGUF paths resolve against this folder. */
  baseDir?: string | undefined;
}

/** Throws a `ConfigError` naming the field. */
export type Fail = (message: string) => never;

/** The eval file's object form of a reference. */
export interface RefObject {
  provider: string;
  base_url?: string | undefined;
  model?: string | undefined;
  api_key_env?: string | undefined;
}

/**
 * One provider kind: how its references parse, which key it needs, what it costs, and how its
 * endpoint is built. Adding a kind is one file exporting one of these, and one line in `registry.ts`.
 */
export interface ProviderKind {
  readonly name: ProviderName;
  /** The URI forms it accepts, for error messages (`anthropic:/<model>`). */
  readonly uriForms: readonly string[];
  /** Parses `<rest>` of `<name>:<rest>`. Absent: the kind has no URI form. */
  parseUri?(rest: string, fail: Fail, baseDir: string): EndpointRef;
  /** Checks the object form. Absent: the kind is not a chat endpoint (it cannot be a judge). */
  parseObject?(ref: RefObject, fail: Fail, baseDir: string): EndpointRef;
  /** True when a reference must name its server (no public API to default to: `vllm`, `openai-compatible`). */
  baseUrlRequired?: boolean;
  /** The variable holding the key when `api_key_env` is unset; undefined when the kind needs none. */
  defaultKeyVariable?: string;
  /** USD list price of a model, when the kind publishes one. */
  listPrice?(model: string): ModelPrice | undefined;
  /** Builds the endpoint (synchronously: configuration errors surface before the first row). */
  chat?(ref: EndpointRef, context: ProviderContext): ChatEndpoint;
  /** Kinds that are not chat endpoints build the model under test themselves (`module`). */
  model?(config: ModelConfig, context: { baseDir: string }): Promise<ModelUnderTest>;
}
