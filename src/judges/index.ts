export { type CalledVerdict, type CallJudgeOptions, callJudge, type JudgeCallRecord } from './call-judge.js';
export {
  createJudgeResolver,
  DEFAULT_JUDGE_MAX_TOKENS,
  DEFAULT_LOCAL_JUDGE_FILE,
  DEFAULT_OPENAI_JUDGE,
  defaultJudgeModel,
  defaultLocalJudgePath,
  type JudgeResolverOptions,
} from './create-judge-resolver.js';
export { createHttpJudgeClient, type HttpJudgeClientOptions } from './http-judge-client.js';
export {
  combine,
  JUDGE_COST,
  JUDGE_INPUT_TOKENS,
  JUDGE_OUTPUT_TOKENS,
  type JudgeFeedbackOptions,
  type JudgeSettings,
  judgeFeedback,
  SAMPLING_TEMPERATURE,
} from './judge-feedback.js';
export { createLocalJudgeClient } from './local-judge-client.js';
export {
  type LocalChatRequest,
  type LocalChatResult,
  LocalModel,
  type LocalModelOptions,
} from './local-model.js';
export { localModelFactory } from './local-model-under-test.js';
export {
  type CompatibleJudgeRef,
  type JudgeModelRef,
  type JudgeProvider,
  judgeModelUri,
  type LocalJudgeRef,
  type OpenAiJudgeRef,
  parseJudgeModelRef,
} from './model-ref.js';
export {
  DEFAULT_OPENAI_PRICES,
  type JudgeCost,
  JudgePrices,
  type ModelPrice,
  type PriceOverrides,
} from './prices.js';
export {
  type JudgePrompt,
  loadJudgePrompt,
  PROMPT_EXTENSION,
  promptDirectory,
  renderJudgePrompt,
} from './prompt-file.js';
export type { JudgeDefaults, JudgeResolver, ResolveOptions } from './resolver.js';
export {
  createVerdictSpec,
  parseWholeJson,
  type Verdict,
  type VerdictSpec,
  type VerdictType,
  verdictTypeSchema,
  YES_NO,
} from './verdict.js';
