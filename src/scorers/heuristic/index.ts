import type { ScorerDefinition } from '../registry.js';
import { containsDefinition } from './contains.js';
import { exactMatchDefinition } from './exact-match.js';
import { jsonSchemaDefinition } from './json-schema.js';
import { jsonValidDefinition } from './json-valid.js';
import { latencyDefinition } from './latency.js';
import { lengthDefinition } from './length.js';
import { levenshteinDefinition } from './levenshtein.js';
import { regexDefinition } from './regex.js';
import { tokenCountDefinition } from './token-count.js';

export { type ContainsOptions, contains, containsDefinition } from './contains.js';
export { type ExactMatchOptions, exactMatch, exactMatchDefinition } from './exact-match.js';
export { type JsonSchemaOptions, jsonSchema, jsonSchemaDefinition } from './json-schema.js';
export { type JsonValidOptions, jsonValid, jsonValidDefinition } from './json-valid.js';
export { type LatencyOptions, latency, latencyDefinition } from './latency.js';
export { type LengthOptions, length, lengthDefinition } from './length.js';
export {
  type LevenshteinOptions,
  levenshtein,
  levenshteinDefinition,
  levenshteinDistance,
} from './levenshtein.js';
export { type RegexOptions, regex, regexDefinition } from './regex.js';
export { type TokenCountOptions, tokenCount, tokenCountDefinition } from './token-count.js';

/** Every heuristic scorer, for the scorer registry (eval-file `type`s). */
export const heuristicScorerDefinitions: readonly ScorerDefinition[] = [
  exactMatchDefinition,
  containsDefinition,
  regexDefinition,
  jsonValidDefinition,
  jsonSchemaDefinition,
  levenshteinDefinition,
  lengthDefinition,
  latencyDefinition,
  tokenCountDefinition,
];
