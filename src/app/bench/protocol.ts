import { z } from 'zod';
import type { BenchRequest } from './options.js';
import type { Shard } from './plan-shards.js';

/**
 * The request file of `python -m judgeflow_lmeval <command>` (and `judgeflow_ray.bench`), as the
 * Python package reads it. It holds no secret: the API key stays in the variable `api_key_env` names.
 */
export interface LmevalRequest {
  tasks: string[];
  include_paths: string[];
  num_fewshot: number | null;
  limit: number | null;
  seed: number;
  bootstrap_iters: number;
  apply_chat_template: boolean;
  system_instruction: string | null;
  gen_kwargs: Record<string, unknown> | null;
  model?: {
    api: 'completions' | 'chat';
    base_url: string;
    model: string;
    num_concurrent: number;
    batch_size: number;
    max_retries: number;
    timeout_s: number;
    api_key_env: string | null;
    add_bos_token: boolean;
    tokenizer: string | null;
  };
  shards?: Array<{ id: string; task: string; start: number; end: number }>;
}

/** The request's common part (what `describe` and `merge` read). */
export function commonRequest(request: BenchRequest, builtinTasks: string): LmevalRequest {
  return {
    tasks: request.tasks,
    include_paths: [builtinTasks, ...request.includePaths],
    num_fewshot: request.numFewshot ?? null,
    limit: request.limit ?? null,
    seed: request.seed,
    bootstrap_iters: request.bootstrapIters,
    apply_chat_template: request.applyChatTemplate,
    system_instruction: request.systemInstruction ?? null,
    gen_kwargs: request.genKwargs ?? null,
  };
}

/** The `shard` request: the common part, the model endpoint and the shards to run. */
export function shardRequest(
  common: LmevalRequest,
  request: BenchRequest,
  model: { baseUrl: string; name: string },
  shards: readonly Shard[],
): LmevalRequest {
  return {
    ...common,
    model: {
      api: request.api,
      base_url: model.baseUrl,
      model: model.name,
      num_concurrent: request.concurrency,
      batch_size: request.batchSize,
      max_retries: request.maxRetries,
      timeout_s: request.timeoutS,
      api_key_env: request.apiKeyEnv ?? null,
      add_bos_token: request.addBosToken,
      tokenizer: request.tokenizer ?? null,
    },
    shards: shards.map((shard) => ({ id: shard.id, task: shard.task, start: shard.start, end: shard.end })),
  };
}

export const describeTaskSchema = z.looseObject({
  name: z.string(),
  group: z.string().nullable().optional(),
  output_type: z.string(),
  version: z.unknown().optional(),
  num_docs: z.number().int().nonnegative(),
  num_docs_total: z.number().int().nonnegative().optional(),
  split: z.string().nullable().optional(),
  num_fewshot: z.number().int().nullable().optional(),
  metrics: z
    .array(
      z.looseObject({
        metric: z.string(),
        aggregation: z.unknown().optional(),
        higher_is_better: z.unknown().optional(),
      }),
    )
    .optional(),
  filters: z.array(z.string()).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  dataset: z
    .looseObject({
      path: z.unknown().optional(),
      name: z.unknown().optional(),
      split: z.unknown().optional(),
      digest: z.string().optional(),
    })
    .optional(),
});
export type DescribedTask = z.infer<typeof describeTaskSchema>;

export const describeAnswerSchema = z.looseObject({
  lm_eval_version: z.string(),
  tasks: z.array(describeTaskSchema),
  groups: z.record(z.string(), z.array(z.string())).optional(),
});
export type DescribeAnswer = z.infer<typeof describeAnswerSchema>;

export const shardAnswerSchema = z.looseObject({
  shards: z.array(
    z.looseObject({
      id: z.string(),
      task: z.string().optional(),
      docs: z.number().optional(),
      requests: z.number().optional(),
      seconds: z.number().optional(),
    }),
  ),
});

/** lm-eval's results dict (JSON-safe), as `merge` writes results.json. */
export const lmEvalResultsSchema = z.looseObject({
  results: z.record(z.string(), z.record(z.string(), z.unknown())),
  groups: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  group_subtasks: z.record(z.string(), z.array(z.string())).optional(),
  configs: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  versions: z.record(z.string(), z.unknown()).optional(),
  'n-shot': z.record(z.string(), z.unknown()).optional(),
  'n-samples': z.record(z.string(), z.unknown()).optional(),
  higher_is_better: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  lm_eval_version: z.string().optional(),
});
export type LmEvalResults = z.infer<typeof lmEvalResultsSchema>;

export const mergeAnswerSchema = z.looseObject({
  results: lmEvalResultsSchema,
  samples_files: z.record(z.string(), z.string()),
});

/** One progress line of `judgeflow_ray.bench`. */
export const rayEventSchema = z.looseObject({
  event: z.string(),
  id: z.string().optional(),
  node: z.unknown().optional(),
  seconds: z.number().optional(),
});
