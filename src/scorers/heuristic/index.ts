import { builtinScorerDefinitions } from '../catalog.js';
import { moduleScorerDefinition } from '../module-scorer.js';
import type { ScorerDefinition } from '../registry.js';

// The scorers themselves are registered (and exported) in one place, src/scorers/builtins.ts; this
// folder index only adds what is not a scorer.

export { levenshteinDistance } from './levenshtein.js';

/** The heuristic scorers: the registry's code scorers but `module` (the custom one). */
export const heuristicScorerDefinitions: readonly ScorerDefinition[] = builtinScorerDefinitions.filter(
  (definition) => definition.kind === 'code' && definition !== moduleScorerDefinition,
);
