import { builtinScorerDefinitions } from '../catalog.js';
import type { ScorerDefinition } from '../registry.js';

// The judge scorers themselves are registered (and exported) in one place, src/scorers/builtins.ts;
// this folder index only exports the judge engine that they, and callers, share.

export {
  bindJudges,
  isJudgeScorer,
  type JudgeRun,
  type JudgeScorerOptions,
  type JudgeScorerSpec,
  judgeScorer,
} from './judge-scorer.js';
export { inputsText, outputsText } from './judge-text.js';
export { checkInstructions, toVerdictType, type ValueType } from './make-judge.js';
export { type RetrievedContext, retrievedContext } from './retrieval-context.js';

/** Every LLM-judge scorer type (MLflow's built-in judges and `judge` for custom ones): the registry's judges. */
export const judgeScorerDefinitions: readonly ScorerDefinition[] = builtinScorerDefinitions.filter(
  (definition) => definition.kind === 'llm_judge',
);
