// The registry of built-in scorers, code and LLM judge alike: ONE line per scorer, exporting its library
// API (factory, options type) and its definition (`<name>Definition`, a `ScorerDefinition`).
//
// Everything else is derived from this file, so a new scorer is its module, its prompt (judges only)
// and one line here:
// - the eval-file registry: `builtinScorerDefinitions` (catalog.ts) collects every definition exported here;
// - the package exports: `src/index.ts` re-exports this file (`export *`);
// - the JSON Schema (`judgeflow schema`, schema/eval.schema.json) and the README's scorer table:
//   `npm run generate` writes both from the registry; test/unit/scorer-registry.test.ts fails when
//   either is stale or misses a registered scorer.
// Only scorer modules belong here: a helper exported here would become public API.

export { type CodeExecutionOptions, codeExecution, codeExecutionDefinition } from './code/code-execution.js';
export { estimatePassAtK, type PassAtKOptions, passAtK, passAtKDefinition } from './code/pass-at-k.js';
export { type ContainsOptions, contains, containsDefinition } from './heuristic/contains.js';
export { type ExactMatchOptions, exactMatch, exactMatchDefinition } from './heuristic/exact-match.js';
export { type JsonSchemaOptions, jsonSchema, jsonSchemaDefinition } from './heuristic/json-schema.js';
export { type JsonValidOptions, jsonValid, jsonValidDefinition } from './heuristic/json-valid.js';
export { type LatencyOptions, latency, latencyDefinition } from './heuristic/latency.js';
export { type LengthOptions, length, lengthDefinition } from './heuristic/length.js';
export { type LevenshteinOptions, levenshtein, levenshteinDefinition } from './heuristic/levenshtein.js';
export { type RegexOptions, regex, regexDefinition } from './heuristic/regex.js';
export { type TokenCountOptions, tokenCount, tokenCountDefinition } from './heuristic/token-count.js';
export { type IfevalOptions, ifeval, ifevalDefinition } from './ifeval/ifeval.js';
export { Bias, biasDefinition } from './judges/bias.js';
export { Coherence, type CoherenceOptions, coherenceDefinition } from './judges/coherence.js';
export { Completeness, type CompletenessOptions, completenessDefinition } from './judges/completeness.js';
export { Correctness, correctnessDefinition } from './judges/correctness.js';
export { Equivalence, equivalenceDefinition } from './judges/equivalence.js';
export {
  ExpectationsGuidelines,
  expectationsGuidelinesDefinition,
} from './judges/expectations-guidelines.js';
export { Fluency, type FluencyOptions, fluencyDefinition } from './judges/fluency.js';
export { Guidelines, type GuidelinesOptions, guidelinesDefinition } from './judges/guidelines.js';
export { Hallucination, type HallucinationOptions, hallucinationDefinition } from './judges/hallucination.js';
export {
  InstructionFollowing,
  type InstructionFollowingOptions,
  instructionFollowingDefinition,
} from './judges/instruction-following.js';
export { type MakeJudgeOptions, makeJudge, makeJudgeDefinition } from './judges/make-judge.js';
export { PiiLeakageJudge, piiLeakageJudgeDefinition } from './judges/pii-leakage-judge.js';
export {
  RelevanceToInput,
  RelevanceToQuery,
  type RelevanceToQueryOptions,
  relevanceToQueryDefinition,
} from './judges/relevance-to-query.js';
export { RetrievalGroundedness, retrievalGroundednessDefinition } from './judges/retrieval-groundedness.js';
export { RetrievalRelevance, retrievalRelevanceDefinition } from './judges/retrieval-relevance.js';
export { RetrievalSufficiency, retrievalSufficiencyDefinition } from './judges/retrieval-sufficiency.js';
export { Safety, safetyDefinition } from './judges/safety.js';
export { Summarization, summarizationDefinition } from './judges/summarization.js';
export {
  SummarizationFaithfulness,
  type SummarizationFaithfulnessOptions,
  summarizationFaithfulnessDefinition,
} from './judges/summarization-faithfulness.js';
export { Toxicity, type ToxicityOptions, toxicityDefinition } from './judges/toxicity.js';
export { moduleScorerDefinition } from './module-scorer.js';
export {
  type DetectPiiOptions,
  detectPii,
  type PiiEntityType,
  type PiiLeakageOptions,
  type PiiSpan,
  piiLeakage,
  piiLeakageDefinition,
} from './safety/pii-leakage.js';
export { type ProfanityOptions, profanity, profanityDefinition } from './safety/profanity.js';
export { type RougeOptions, rouge, rougeDefinition } from './summarization/rouge.js';
export { type BleuScorerOptions, bleu, bleuDefinition } from './translation/bleu.js';
export { type ChrfScorerOptions, chrf, chrfDefinition } from './translation/chrf.js';
export {
  type ChrfPlusPlusOptions,
  chrfPlusPlus,
  chrfPlusPlusDefinition,
} from './translation/chrf-plus-plus.js';
export {
  TranslationAdequacy,
  type TranslationAdequacyOptions,
  translationAdequacyDefinition,
} from './translation/translation-adequacy.js';
