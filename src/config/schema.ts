import { z } from 'zod';

/**
 * The eval file (YAML, snake_case keys). This zod schema is the single source of truth: the editor
 * JSON Schema (`schema/eval.schema.json`) is generated from it. Scorer entries are validated in two
 * steps: here their shape (`type` plus options), then by the scorer registry, which knows each
 * scorer's options.
 */

const aggregationSchema = z.enum(['mean', 'min', 'max', 'median', 'variance', 'p90'], {
  error: (issue) =>
    `expected one of mean, min, max, median, variance, p90; got ${JSON.stringify(issue.input)}`,
});

/** A base URL judgeflow can call: http or https only (an `ftp://` URL would fail at the first row). */
const httpUrlSchema = z
  .string()
  .url({ error: 'expected an http:// or https:// URL, e.g. http://127.0.0.1:8000/v1' })
  .refine((value) => /^https?:\/\//i.test(value), {
    error: 'expected an http:// or https:// URL, e.g. http://127.0.0.1:8000/v1',
  });

/** USD per million tokens of one model. */
export const priceSchema = z
  .object({ input_per_million: z.number().min(0), output_per_million: z.number().min(0) })
  .strict();

/**
 * The request field that carries the completion-token cap. OpenAI's reasoning models accept only
 * `max_completion_tokens` (and OpenAI deprecated `max_tokens`); vLLM, llama.cpp and most other servers
 * know `max_tokens`.
 */
const tokenLimitFieldSchema = z
  .enum(['max_tokens', 'max_completion_tokens'])
  .describe(
    'Request field for the token cap: default max_completion_tokens for provider openai, max_tokens otherwise',
  );

/** A model reference: an MLflow-style URI string (`openai:/gpt-4.1-mini`, `local`) or an endpoint object. */
export const modelRefSchema = z.union([
  z
    .string()
    .min(1)
    .describe('MLflow-style model URI, e.g. openai:/gpt-4.1-mini, local, local:/path/model.gguf'),
  z
    .object({
      provider: z.enum(['openai', 'openai-compatible', 'vllm', 'anthropic', 'local']),
      base_url: httpUrlSchema.optional().describe('OpenAI-compatible base URL ending in /v1'),
      model: z.string().min(1).optional().describe('Model name the server expects; for local, a GGUF path'),
      api_key_env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .optional()
        .describe('Name of the environment variable that holds the API key (never the key itself)'),
    })
    .strict(),
]);
export type ModelRef = z.infer<typeof modelRefSchema>;

const httpTuningShape = {
  timeout_s: z.number().positive().optional().describe('Per-call timeout in seconds (default 60)'),
  max_retries: z
    .number()
    .int()
    .min(0)
    .max(20)
    .optional()
    .describe('Retries on 408/409/429/5xx/resets (default 4)'),
  concurrency: z.number().int().positive().optional().describe('Max calls in flight to this endpoint'),
  rpm: z.number().positive().optional().describe('Requests-per-minute budget'),
  tpm: z.number().positive().optional().describe('Tokens-per-minute budget'),
};

/**
 * A model-under-test name: the `models:` key, its output subfolder and its MLflow LoggedModel name
 * (which may not contain `/ : . % " '`).
 */
export const modelNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, {
  error: 'expected a model name of letters, digits, _ and - (at most 100), starting with a letter or digit',
});

export const modelSchema = z.discriminatedUnion('provider', [
  z
    .object({
      provider: z.enum(['openai-compatible', 'openai', 'vllm', 'anthropic']),
      name: modelNameSchema
        .optional()
        .describe(
          'Name of this model under test: its MLflow LoggedModel name (default: derived from provider and model)',
        ),
      base_url: httpUrlSchema
        .optional()
        .describe('Base URL ending in /v1 (default https://api.openai.com/v1 for openai)'),
      model: z.string().min(1),
      api_key_env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .optional(),
      prompt: z
        .string()
        .min(1)
        .optional()
        .describe(
          'Template over the inputs, e.g. "Answer: {{ inputs.question }}"; default: the inputs as JSON',
        ),
      system_prompt: z.string().optional(),
      temperature: z.number().min(0).max(2).optional(),
      max_tokens: z
        .number()
        .int()
        .positive()
        .optional()
        .describe('Cap on completion tokens; sent only when set'),
      token_limit_field: tokenLimitFieldSchema.optional(),
      prices: priceSchema
        .optional()
        .describe('USD per million tokens of this model (default: OpenAI list prices for provider openai)'),
      ...httpTuningShape,
    })
    .strict(),
  z
    .object({
      provider: z.literal('module'),
      name: modelNameSchema
        .optional()
        .describe(
          'Name of this model under test: its MLflow LoggedModel name (default: derived from provider and model)',
        ),
      path: z.string().min(1).describe('Module path relative to the eval file (.ts, .mts, .js, .mjs)'),
      export: z.string().min(1).default('predict').describe('Exported predict function'),
    })
    .strict(),
  z
    .object({
      provider: z.literal('local'),
      name: modelNameSchema
        .optional()
        .describe(
          'Name of this model under test: its MLflow LoggedModel name (default: derived from provider and model)',
        ),
      model: z
        .string()
        .optional()
        .describe('GGUF file path; default: the model installed by judgeflow setup'),
      prompt: z.string().min(1).optional(),
      system_prompt: z.string().optional(),
      temperature: z.number().min(0).max(2).optional(),
      max_tokens: z.number().int().positive().optional(),
    })
    .strict(),
]);
export type ModelConfig = z.infer<typeof modelSchema>;

export const judgeSchema = z
  .object({
    model: modelRefSchema
      .optional()
      .describe('Default judge; openai:/gpt-4.1-mini when OPENAI_API_KEY is set, else local'),
    temperature: z.number().min(0).max(2).optional().describe('Default 0'),
    max_tokens: z.number().int().positive().optional().describe('Cap on verdict tokens (default 256)'),
    samples: z
      .number()
      .int()
      .min(1)
      .max(15)
      .optional()
      .describe('Self-consistency: ask n times, majority/mean'),
    token_limit_field: tokenLimitFieldSchema.optional(),
    prices: z
      .record(z.string(), priceSchema)
      .optional()
      .describe('USD per million tokens by model name; overrides the built-in table'),
    ...httpTuningShape,
  })
  .strict();
export type JudgeConfig = z.infer<typeof judgeSchema>;

/** A scorer entry: a built-in name, or `{type, ...options}`. Options are checked by the scorer registry. */
export const scorerEntrySchema = z.union([
  z.string().min(1),
  z
    .object({
      type: z.string().min(1),
      name: z.string().min(1).optional().describe('Feedback name (defaults to the scorer type)'),
      aggregations: z.array(aggregationSchema).min(1).optional(),
    })
    .passthrough(),
]);
export type ScorerEntry = z.infer<typeof scorerEntrySchema>;

export const datasetSchema = z.union([
  z
    .object({
      path: z.string().min(1).describe('jsonl, json, csv, yaml/yml; relative to the eval file'),
      name: z.string().min(1).optional(),
      format: z
        .enum(['jsonl', 'json', 'csv', 'yaml'])
        .optional()
        .describe('Default: from the file extension'),
    })
    .strict(),
  z
    .object({
      records: z.array(z.record(z.string(), z.unknown())).min(1),
      name: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      mlflow: z.string().min(1).describe('Name of an MLflow evaluation dataset'),
      name: z.string().min(1).optional(),
    })
    .strict(),
]);
export type DatasetConfig = z.infer<typeof datasetSchema>;

const gateKeySchema = z
  .string()
  .regex(/^[^/]+\/(mean|min|max|median|variance|p90)$/, 'expected <name>/<aggregation>');

export const evalFileSchema = z
  .object({
    experiment: z.string().min(1).optional().describe('MLflow experiment (default: judgeflow)'),
    run_name: z.string().min(1).optional(),
    description: z.string().optional(),
    dataset: datasetSchema,
    model: modelSchema.optional().describe('The model under test; omit when records carry outputs'),
    models: z
      .record(modelNameSchema, modelSchema)
      .optional()
      .describe(
        'Several models under test, by name (each as `model:`); instead of `model:`. Each is evaluated on the same rows in its own MLflow run, then compared',
      ),
    judge: judgeSchema.optional(),
    scorers: z.array(scorerEntrySchema).min(1),
    concurrency: z.number().int().positive().max(4096).optional().describe('Rows in flight (default 16)'),
    limit: z.number().int().positive().optional(),
    sample: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
    fail_under: z
      .record(gateKeySchema, z.number())
      .optional()
      .describe('Quality gates: {"exact_match/mean": 0.8}'),
    max_errors: z.number().int().min(0).optional(),
    allow_no_values: z
      .union([z.boolean(), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe(
        'Scorers that may end the run without a single value (every feedback an error) and still exit 0: true for all, or their names. Default: none, such a run exits 1',
      ),
    max_cost: z.number().positive().optional().describe('USD; stop dispatching new rows when reached'),
    max_tokens: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Total tokens; stop dispatching when reached'),
    tags: z.record(z.string(), z.string()).optional().describe('Run tags'),
    mlflow: z
      .object({
        traces: z
          .string()
          .optional()
          .describe(
            'Which rows get an MLflow trace: all (default), failed, or sample:<fraction>; every row is in the results table either way',
          ),
      })
      .strict()
      .optional()
      .describe('How the run is written to MLflow'),
  })
  .strict();
export type EvalFile = z.infer<typeof evalFileSchema>;
