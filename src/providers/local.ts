import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config/env.js';
import { MissingComponentError } from '../core/errors.js';
import { type LocalModel, localModelNameOf } from './local-model.js';
import type { ChatEndpoint, LocalEndpointRef, ProviderKind } from './provider.js';

/**
 * The embedded GGUF model through node-llama-cpp (`local-model.ts`): `local` (the default model),
 * `local:/abs/model.gguf`, `local:./rel.gguf`, `{provider: local, model: file.gguf}`. No key, no HTTP,
 * no cost. Variable: `JUDGEFLOW_JUDGE_MODEL` (the default model's path, read in `src/config/env.ts`).
 * The model is loaded on the first call by `ProviderContext.loadLocalModel`, shared by every user of the
 * same file (a run whose model under test and judge are one file keeps one instance and one queue);
 * structured output is a grammar built from the JSON Schema, so the reply has the right shape by
 * construction.
 */

/** The GGUF file `judgeflow setup` installs under `<home>/models/`. */
export const DEFAULT_LOCAL_JUDGE_FILE = 'gemma-3-270m-q4_k_m.gguf';
/** Reply cap when the caller sets none. */
const DEFAULT_MAX_TOKENS = 256;

/** The default local model's path: `JUDGEFLOW_JUDGE_MODEL`, else the one `judgeflow setup` installs. */
export function defaultLocalJudgePath(env: Env): string {
  return env.localJudgeModel !== undefined
    ? path.resolve(env.localJudgeModel)
    : path.join(env.home, 'models', DEFAULT_LOCAL_JUDGE_FILE);
}

/** A chat endpoint over a local model, loaded by `load` on the first call. */
export function localChatEndpoint(options: {
  /** The model's name: its file name without `.gguf`. */
  name: string;
  load: () => Promise<LocalModel>;
}): ChatEndpoint {
  const model = options.name;
  return {
    uri: `local:/${model}`,
    provider: 'local',
    model,
    prepare(request) {
      const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
      const temperature = request.temperature ?? 0;
      return {
        body: { messages: request.messages, max_tokens: maxTokens, temperature },
        async send() {
          const loaded = await options.load();
          const result = await loaded.chat({
            messages: request.messages,
            ...(request.output !== undefined ? { schema: request.output.schema } : {}),
            maxTokens,
            temperature,
            signal: request.signal,
          });
          return {
            text: result.text,
            model: loaded.name,
            usage: result.usage,
            latencyMs: result.latencyMs,
            finishReason: result.finishReason,
            body: result.text,
          };
        },
      };
    },
  };
}

export const localKind: ProviderKind = {
  name: 'local',
  uriForms: ['local', 'local:<file.gguf>'],
  parseUri(rest, _fail, baseDir) {
    if (rest === '' || rest === '/') return { provider: 'local' };
    return { provider: 'local', path: path.resolve(baseDir, rest) };
  },
  parseObject(ref, fail, baseDir) {
    if (ref.base_url !== undefined) fail('a local judge takes no base_url');
    return ref.model !== undefined
      ? { provider: 'local', path: path.resolve(baseDir, ref.model) }
      : { provider: 'local' };
  },
  listPrice: () => ({ inputPerMillion: 0, outputPerMillion: 0 }),
  chat(reference, context) {
    const ref = reference as LocalEndpointRef;
    const modelPath = ref.path ?? defaultLocalJudgePath(context.env);
    if (!existsSync(modelPath)) {
      const hint =
        ref.path === undefined ? ' (or set JUDGEFLOW_JUDGE_MODEL, or set OPENAI_API_KEY to use OpenAI)' : '';
      throw new MissingComponentError(
        `${context.field}: the local judge model ${modelPath} does not exist${hint}`,
        { installCommand: 'judgeflow setup --only judge' },
      );
    }
    const load =
      context.loadLocalModel ??
      ((file: string) => import('./local-model.js').then((m) => m.LocalModel.load({ modelPath: file })));
    return localChatEndpoint({ name: localModelNameOf(modelPath), load: () => load(modelPath) });
  },
};
