export {
  type LocalChatRequest,
  type LocalChatResult,
  LocalModel,
  type LocalModelOptions,
} from '../providers/local-model.js';
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
export { createJudgeClient } from './judge-client.js';
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
export { localModelFactory } from './local-model-under-test.js';
export {
  type CompatibleJudgeRef,
  type HttpJudgeRef,
  type JudgeModelRef,
  type JudgeProvider,
  judgeKeyVariable,
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
