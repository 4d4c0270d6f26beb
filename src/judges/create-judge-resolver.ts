import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config/env.js';
import type { JudgeConfig, ModelRef } from '../config/schema.js';
import { MissingComponentError } from '../core/errors.js';
import { canonicalJson } from '../core/json.js';
import type { JudgeClient, JudgeResponse } from '../core/judge.js';
import { instrumentChatEndpoint } from '../observability/instrument.js';
import { defaultLocalJudgePath } from '../providers/local.js';
import { LocalModel } from '../providers/local-model.js';
import { endpointKeyVariable } from '../providers/model-ref.js';
import { providerKinds } from '../providers/registry.js';
import { endpointTuning } from '../providers/tuning.js';
import type { EndpointOptions } from '../runtime/http-endpoint.js';
import type { HttpRuntime } from '../runtime/http-runtime.js';
import { createJudgeClient } from './judge-client.js';
import { type JudgeModelRef, judgeModelUri, parseJudgeModelRef } from './model-ref.js';
import { type JudgeCost, JudgePrices } from './prices.js';
import type { JudgeDefaults, JudgeResolver, ResolveOptions } from './resolver.js';

export { DEFAULT_LOCAL_JUDGE_FILE, defaultLocalJudgePath } from '../providers/local.js';

/** MLflow's default judge, used when OPENAI_API_KEY is set and no judge is named. */
export const DEFAULT_OPENAI_JUDGE = 'openai:/gpt-4.1-mini';
/** Verdicts are short: a rationale of a sentence or two and a result. */
export const DEFAULT_JUDGE_MAX_TOKENS = 256;

export interface JudgeResolverOptions {
  env: Env;
  runtime: HttpRuntime;
  /** Relative GGUF paths resolve against this folder (the eval file's); default the working directory. */
  baseDir?: string;
  /** Loads a local model; tests and `serve-judge` may pass their own. Default `LocalModel.load`. */
  loadLocalModel?: (modelPath: string) => Promise<LocalModel>;
  /**
   * Judge calls in flight per judge server when `judge.concurrency` is unset: the run's row concurrency,
   * so one judge call per row in flight is never queued behind a smaller default.
   */
  defaultConcurrency?: number;
  /**
   * Refuse a judge whose API key variable is unset when it is resolved (default true). Off on a Ray
   * driver: it never calls judges, and each worker checks its own environment at its handshake.
   */
  requireKeys?: boolean;
}

/**
 * The judge a run uses when a scorer names none: `judge.model`, else `openai:/gpt-4.1-mini` when
 * OPENAI_API_KEY is set, else `local`. A driver that ships its plan to workers pins this into the plan,
 * so a worker whose environment differs (no key, say) still uses the judge the driver chose.
 */
export function defaultJudgeModel(config: JudgeConfig | undefined, env: Env): ModelRef {
  return config?.model ?? (env.openaiApiKey !== undefined ? DEFAULT_OPENAI_JUDGE : 'local');
}

/**
 * The run's judge resolver. The default judge is `judge.model`; without one, `openai:/gpt-4.1-mini`
 * when OPENAI_API_KEY is set, else the embedded local model. Clients are cached per reference; HTTP
 * judges get the runtime's endpoint for their base URL and the `judge:` tuning, so every scorer using
 * one judge server shares its connections, concurrency and rpm/tpm budgets; a local model file is
 * loaded once, on first use, and disposed of by `close()`.
 */
export function createJudgeResolver(
  config: JudgeConfig | undefined,
  options: JudgeResolverOptions,
): JudgeResolver {
  const { env, runtime } = options;
  const baseDir = options.baseDir ?? process.cwd();
  const defaults: JudgeDefaults = {
    temperature: config?.temperature ?? 0,
    maxTokens: config?.max_tokens ?? DEFAULT_JUDGE_MAX_TOKENS,
    samples: config?.samples ?? 1,
  };
  const prices = new JudgePrices(config?.prices ?? {});
  const endpoint = endpointOptions(config, options.defaultConcurrency);
  const defaultRef: ModelRef =
    config?.model ?? (env.openaiApiKey !== undefined ? DEFAULT_OPENAI_JUDGE : 'local');
  const clients = new Map<string, JudgeClient>();
  const refs = new WeakMap<JudgeClient, JudgeModelRef>();
  const localModels = new Map<string, Promise<LocalModel>>();
  const load = options.loadLocalModel ?? ((modelPath: string) => LocalModel.load({ modelPath }));
  let closed = false;

  const localModel = (modelPath: string): Promise<LocalModel> => {
    let model = localModels.get(modelPath);
    if (model === undefined) {
      if (closed) return Promise.reject(new Error('the judge resolver is closed'));
      model = load(modelPath);
      // A failed load is not cached: the next call tries again and reports its own error.
      model.catch(() => localModels.delete(modelPath));
      localModels.set(modelPath, model);
    }
    return model;
  };

  const build = (ref: JudgeModelRef, field: string): JudgeClient => {
    const kind = providerKinds[ref.provider];
    if (kind.chat === undefined) throw new Error(`provider ${ref.provider} cannot be a judge`);
    const chat = kind.chat(ref, {
      env,
      runtime,
      role: 'judge',
      field,
      endpoint,
      tokenLimitField: config?.token_limit_field,
      requireKey: options.requireKeys !== false,
      loadLocalModel: localModel,
      baseDir,
    });
    // Latency, requests by status, retries and rate-limit waits of every judge call.
    return createJudgeClient(instrumentChatEndpoint(chat, 'judge'));
  };

  return {
    defaults,
    resolve(ref?: ModelRef, resolveOptions: ResolveOptions = {}): JudgeClient {
      const field = resolveOptions.field ?? 'judge.model';
      const parsed = parseJudgeModelRef(ref ?? defaultRef, {
        baseDir,
        field: ref === undefined ? 'judge.model' : field,
      });
      const key = canonicalJson(parsed);
      let client = clients.get(key);
      if (client === undefined) {
        client = build(parsed, field);
        clients.set(key, client);
        refs.set(client, parsed);
      }
      return client;
    },
    keyVariables(): string[] {
      const names = new Set<string>();
      for (const client of clients.values()) {
        const ref = refs.get(client);
        if (ref !== undefined && ref.provider !== 'local') {
          const name = endpointKeyVariable(ref);
          if (name !== undefined) names.add(name);
        }
      }
      return [...names].sort();
    },
    cost(client: JudgeClient, response: JudgeResponse): JudgeCost | undefined {
      const ref = refs.get(client);
      if (ref === undefined) return undefined;
      const model = ref.provider === 'local' ? response.model : ref.model;
      return prices.cost({
        provider: ref.provider,
        model,
        modelUri: judgeModelUri(ref, response.model),
        usage: response.usage,
      });
    },
    localModel(modelPath?: string): Promise<LocalModel> {
      const file = modelPath !== undefined ? path.resolve(baseDir, modelPath) : defaultLocalJudgePath(env);
      if (!existsSync(file)) {
        return Promise.reject(
          new MissingComponentError(`the local model ${file} does not exist`, {
            installCommand: 'judgeflow setup --only judge',
          }),
        );
      }
      return localModel(file);
    },
    async close(): Promise<void> {
      closed = true;
      const models = [...localModels.values()];
      localModels.clear();
      clients.clear();
      await Promise.all(
        models.map(async (pending) => {
          const model = await pending.catch(() => undefined);
          await model?.close();
        }),
      );
    },
  };
}

function endpointOptions(
  config: JudgeConfig | undefined,
  defaultConcurrency: number | undefined,
): EndpointOptions {
  return {
    ...(defaultConcurrency !== undefined ? { maxConcurrency: defaultConcurrency } : {}),
    ...endpointTuning(config),
  };
}
