import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Env, readSecret } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { withoutCredentials } from '../../core/redact.js';

/** Where the model under test is served. */
export type BenchEndpoint = { kind: 'local' } | { kind: 'remote'; baseUrl: string };

/** A validated `judgeflow bench` request (every flag checked, paths absolute). */
export interface BenchRequest {
  tasks: string[];
  endpoint: BenchEndpoint;
  /** The served model's name; default the server's only (first) model. */
  model?: string;
  api: 'completions' | 'chat';
  numFewshot?: number;
  /** lm-eval's `--limit`: an integer = the first N documents of each task, below 1 = a fraction. */
  limit?: number;
  seed: number;
  batchSize: number;
  concurrency: number;
  /** Extra task folders (absolute); judgeflow's own `data/lm-eval-tasks` is always added. */
  includePaths: string[];
  executor: 'local' | 'ray';
  rayAddress?: string;
  workers: number;
  shardSize?: number;
  experiment: string;
  runName?: string;
  mlflow: boolean;
  trackingUri?: string;
  out?: string;
  /** The environment variable holding the API key (the key itself never leaves the environment). */
  apiKeyEnv?: string;
  genKwargs?: Record<string, unknown>;
  applyChatTemplate: boolean;
  systemInstruction?: string;
  bootstrapIters: number;
  /**
   * Start every prompt with the model's BOS token (lm-eval's `add_bos_token`, which its remote-tokenizer
   * backend ignores; judgeflow_lmeval applies it). Default on for `--local` (Gemma scores text without
   * BOS far too low), off for `--base-url` (lm-eval's own default for API models).
   */
  addBosToken: boolean;
  /**
   * A Hugging Face tokenizer (hub name, or a folder made absolute) that lm-eval tokenizes with locally,
   * for servers that score prompts but have no `/tokenize`/`/tokenizer_info` (Ray Serve LLM).
   */
  tokenizer?: string;
  maxRetries: number;
  timeoutS: number;
}

/** The flags as commander hands them over (values already typed by the option parsers). */
export interface BenchCliOptions {
  tasks: string[];
  baseUrl?: string;
  model?: string;
  local?: boolean;
  api: string;
  numFewshot?: number;
  limit?: number;
  seed?: number;
  batchSize?: number;
  concurrency?: number;
  includePath?: string[];
  executor?: string;
  rayAddress?: string;
  workers?: number;
  shardSize?: number;
  experiment?: string;
  runName?: string;
  mlflow: boolean;
  trackingUri?: string;
  out?: string;
  apiKeyEnv?: string;
  genKwargs?: string;
  applyChatTemplate?: boolean;
  systemInstruction?: string;
  bootstrapIters?: number;
  addBosToken?: boolean;
  tokenizer?: string;
  json?: boolean;
}

export const BENCH_DEFAULTS = {
  seed: 1234,
  batchSize: 1,
  concurrency: 4,
  workers: 2,
  bootstrapIters: 100_000,
  experiment: 'judgeflow-bench',
  maxRetries: 3,
  timeoutS: 300,
} as const;

/**
 * Checks every flag before anything starts (exit 2 with the flag named): the endpoint, the key
 * variable (set, never printed), the task list, the Ray-only flags, `--limit`, `--gen-kwargs`.
 */
export function validateBenchOptions(
  options: BenchCliOptions,
  context: { env: Env; cwd: string },
): BenchRequest {
  const tasks = [...new Set(options.tasks.map((task) => task.trim()).filter((task) => task !== ''))];
  if (tasks.length === 0)
    throw new ConfigError('--tasks needs at least one task name (comma-separated)', { field: 'tasks' });
  if (options.local === true && options.baseUrl !== undefined)
    throw new ConfigError('give --base-url or --local, not both', { field: 'base_url' });
  if (options.local === true && options.model !== undefined)
    throw new ConfigError(
      '--model names a model of the --base-url server; --local serves the embedded model',
      {
        field: 'model',
      },
    );
  const endpoint: BenchEndpoint =
    options.baseUrl !== undefined
      ? { kind: 'remote', baseUrl: checkBaseUrl(options.baseUrl) }
      : { kind: 'local' };
  if (options.api !== 'completions' && options.api !== 'chat')
    throw new ConfigError(`--api must be completions or chat, got ${options.api}`, { field: 'api' });
  const executor = options.executor ?? (options.rayAddress !== undefined ? 'ray' : 'local');
  if (executor !== 'local' && executor !== 'ray')
    throw new ConfigError(`--executor must be local or ray, got ${executor}`, { field: 'executor' });
  if (executor === 'local') {
    for (const [flag, value] of [
      ['--ray-address', options.rayAddress],
      ['--workers', options.workers],
      ['--shard-size', options.shardSize],
    ] as const) {
      if (value !== undefined)
        throw new ConfigError(`${flag} shards the run over Ray: give --executor ray too`, {
          field: flag.slice(2),
        });
    }
  }
  if (
    options.limit !== undefined &&
    (!(options.limit > 0) || (options.limit >= 1 && !Number.isInteger(options.limit)))
  )
    throw new ConfigError(
      `--limit must be a whole number of documents (≥ 1) or a fraction below 1, got ${options.limit}`,
      { field: 'limit' },
    );
  if (options.apiKeyEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.apiKeyEnv))
      throw new ConfigError('--api-key-env takes the NAME of an environment variable, not a key', {
        field: 'api_key_env',
      });
    if (readSecret(context.env, options.apiKeyEnv) === undefined)
      throw new ConfigError(`--api-key-env ${options.apiKeyEnv}: the variable is not set`, {
        field: 'api_key_env',
      });
  }
  const includePaths = (options.includePath ?? []).map((dir) => {
    const full = path.resolve(context.cwd, dir);
    if (!existsSync(full) || !statSync(full).isDirectory())
      throw new ConfigError(`--include-path ${dir}: not a folder`, { field: 'include_path' });
    return full;
  });
  const genKwargs = options.genKwargs !== undefined ? parseGenKwargs(options.genKwargs) : undefined;
  if (options.tokenizer !== undefined && options.api === 'chat')
    throw new ConfigError('--tokenizer is for --api completions (chat requests are messages, not tokens)', {
      field: 'tokenizer',
    });
  if (options.tokenizer !== undefined && endpoint.kind === 'local')
    throw new ConfigError(
      '--tokenizer is for a --base-url server; the embedded model serves its own tokenizer',
      {
        field: 'tokenizer',
      },
    );
  // a folder is passed on absolute (the Python side may run elsewhere); anything else is a hub name
  const tokenizerFolder =
    options.tokenizer !== undefined ? path.resolve(context.cwd, options.tokenizer) : undefined;
  const tokenizer =
    tokenizerFolder !== undefined && existsSync(tokenizerFolder) ? tokenizerFolder : options.tokenizer;
  if (options.api === 'chat' && options.applyChatTemplate === false)
    throw new ConfigError('--api chat always applies the chat template', { field: 'apply_chat_template' });
  return {
    tasks,
    endpoint,
    ...(options.model !== undefined ? { model: options.model } : {}),
    api: options.api,
    ...(options.numFewshot !== undefined ? { numFewshot: options.numFewshot } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    seed: options.seed ?? BENCH_DEFAULTS.seed,
    batchSize: options.batchSize ?? BENCH_DEFAULTS.batchSize,
    concurrency: options.concurrency ?? BENCH_DEFAULTS.concurrency,
    includePaths,
    executor,
    ...(options.rayAddress !== undefined ? { rayAddress: options.rayAddress } : {}),
    workers: options.workers ?? BENCH_DEFAULTS.workers,
    ...(options.shardSize !== undefined ? { shardSize: options.shardSize } : {}),
    experiment: options.experiment ?? BENCH_DEFAULTS.experiment,
    ...(options.runName !== undefined ? { runName: options.runName } : {}),
    mlflow: options.mlflow,
    ...(options.trackingUri !== undefined ? { trackingUri: options.trackingUri } : {}),
    ...(options.out !== undefined ? { out: options.out } : {}),
    ...(options.apiKeyEnv !== undefined ? { apiKeyEnv: options.apiKeyEnv } : {}),
    ...(genKwargs !== undefined ? { genKwargs } : {}),
    applyChatTemplate: options.api === 'chat' || options.applyChatTemplate === true,
    ...(options.systemInstruction !== undefined ? { systemInstruction: options.systemInstruction } : {}),
    bootstrapIters: options.bootstrapIters ?? BENCH_DEFAULTS.bootstrapIters,
    addBosToken: options.addBosToken ?? endpoint.kind === 'local',
    ...(tokenizer !== undefined ? { tokenizer } : {}),
    maxRetries: BENCH_DEFAULTS.maxRetries,
    timeoutS: BENCH_DEFAULTS.timeoutS,
  };
}

/**
 * An http(s) base URL without credentials in it: a key belongs in the variable --api-key-env names,
 * where it stays out of argv, request files, logs and MLflow. The message never repeats the URL's
 * userinfo.
 */
export function checkBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('--base-url is not a URL (expected e.g. http://127.0.0.1:8000/v1)', {
      field: 'base_url',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`--base-url must be http:// or https://, got ${url.protocol}`, {
      field: 'base_url',
    });
  if (url.username !== '' || url.password !== '')
    throw new ConfigError(
      '--base-url holds credentials (user:password@): put the key in an environment variable and name it with --api-key-env',
      { field: 'base_url' },
    );
  if (url.search !== '')
    throw new ConfigError(
      '--base-url must not carry a query string: a key belongs in the variable --api-key-env names',
      { field: 'base_url' },
    );
  return value.replace(/\/+$/, '');
}

/** The URL as it may be shown and recorded: no userinfo, no query (tokens hide there too). */
export const publicUrl = withoutCredentials;

function parseGenKwargs(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`--gen-kwargs is not JSON: ${(cause as Error).message}`, {
      field: 'gen_kwargs',
      cause,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigError('--gen-kwargs must be a JSON object, e.g. {"max_gen_toks": 64}', {
      field: 'gen_kwargs',
    });
  return json as Record<string, unknown>;
}
