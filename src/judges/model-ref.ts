import type { ModelRef } from '../config/schema.js';
import { endpointUri, type ParseRefOptions, parseEndpointRef } from '../providers/model-ref.js';
import type { EndpointRef, HttpEndpointRef, LocalEndpointRef } from '../providers/provider.js';

/**
 * A judge is any model endpoint (`src/providers/`): these are the judge role's names for the shared
 * reference types and parser.
 */
export type JudgeModelRef = EndpointRef;
export type JudgeProvider = JudgeModelRef['provider'];
export type HttpJudgeRef = HttpEndpointRef;
/** The OpenAI API (`openai:/gpt-4.1-mini`). */
export type OpenAiJudgeRef = HttpEndpointRef & { provider: 'openai' };
/** Any OpenAI-compatible server: vLLM, llama.cpp's server, Ollama, `judgeflow serve-judge`. */
export type CompatibleJudgeRef = HttpEndpointRef & {
  provider: 'vllm' | 'openai-compatible';
  baseUrl: string;
};
export type LocalJudgeRef = LocalEndpointRef;
export type { ParseRefOptions };

/** Parses a judge reference (a URI or the eval file's object form); see `parseEndpointRef`. */
export function parseJudgeModelRef(ref: ModelRef, options: ParseRefOptions): JudgeModelRef {
  return parseEndpointRef(ref, { ...options, role: 'judge' });
}

/** The assessment source id: the MLflow-style URI without base URL or key name. */
export const judgeModelUri: (ref: JudgeModelRef, localModelName?: string) => string = endpointUri;

export { endpointKeyVariable as judgeKeyVariable, localModelNameOf } from '../providers/model-ref.js';
