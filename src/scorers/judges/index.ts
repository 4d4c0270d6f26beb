import type { ScorerDefinition } from '../registry.js';
import { completenessDefinition } from './completeness.js';
import { correctnessDefinition } from './correctness.js';
import { equivalenceDefinition } from './equivalence.js';
import { expectationsGuidelinesDefinition } from './expectations-guidelines.js';
import { fluencyDefinition } from './fluency.js';
import { guidelinesDefinition } from './guidelines.js';
import { makeJudgeDefinition } from './make-judge.js';
import { relevanceToQueryDefinition } from './relevance-to-query.js';
import { retrievalGroundednessDefinition } from './retrieval-groundedness.js';
import { retrievalRelevanceDefinition } from './retrieval-relevance.js';
import { retrievalSufficiencyDefinition } from './retrieval-sufficiency.js';
import { safetyDefinition } from './safety.js';
import { summarizationDefinition } from './summarization.js';

export { Completeness, completenessDefinition } from './completeness.js';
export { Correctness, correctnessDefinition } from './correctness.js';
export { Equivalence, equivalenceDefinition } from './equivalence.js';
export { ExpectationsGuidelines, expectationsGuidelinesDefinition } from './expectations-guidelines.js';
export { Fluency, fluencyDefinition } from './fluency.js';
export { Guidelines, type GuidelinesOptions, guidelinesDefinition } from './guidelines.js';
export {
  bindJudges,
  isJudgeScorer,
  type JudgeRun,
  type JudgeScorerOptions,
  type JudgeScorerSpec,
  judgeScorer,
} from './judge-scorer.js';
export { inputsText, outputsText } from './judge-text.js';
export {
  checkInstructions,
  type MakeJudgeOptions,
  makeJudge,
  makeJudgeDefinition,
  toVerdictType,
  type ValueType,
} from './make-judge.js';
export { RelevanceToInput, RelevanceToQuery, relevanceToQueryDefinition } from './relevance-to-query.js';
export { type RetrievedContext, retrievedContext } from './retrieval-context.js';
export { RetrievalGroundedness, retrievalGroundednessDefinition } from './retrieval-groundedness.js';
export { RetrievalRelevance, retrievalRelevanceDefinition } from './retrieval-relevance.js';
export { RetrievalSufficiency, retrievalSufficiencyDefinition } from './retrieval-sufficiency.js';
export { Safety, safetyDefinition } from './safety.js';
export { Summarization, summarizationDefinition } from './summarization.js';

/** Every LLM-judge scorer type (MLflow's built-in judges and `judge` for custom ones), for the registry. */
export const judgeScorerDefinitions: readonly ScorerDefinition[] = [
  correctnessDefinition,
  guidelinesDefinition,
  expectationsGuidelinesDefinition,
  relevanceToQueryDefinition,
  safetyDefinition,
  equivalenceDefinition,
  completenessDefinition,
  fluencyDefinition,
  summarizationDefinition,
  retrievalGroundednessDefinition,
  retrievalRelevanceDefinition,
  retrievalSufficiencyDefinition,
  makeJudgeDefinition,
];
