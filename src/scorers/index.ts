import { heuristicScorerDefinitions } from './heuristic/index.js';
import { judgeScorerDefinitions } from './judges/index.js';
import { moduleScorerDefinition } from './module-scorer.js';
import { type ScorerDefinition, ScorerRegistry } from './registry.js';

export * from './heuristic/index.js';
export * from './judges/index.js';
export { moduleScorerDefinition } from './module-scorer.js';
export type { CommonScorerOptions, ScorerBuildContext, ScorerDefinition } from './registry.js';
export { normalizeScorerType, ScorerRegistry } from './registry.js';
export { type ScorerFnArgs, type ScorerOptions, scorer } from './scorer.js';

/** Every scorer type usable from an eval file. */
export function allScorerDefinitions(): ScorerDefinition[] {
  return [...heuristicScorerDefinitions, ...judgeScorerDefinitions, moduleScorerDefinition];
}

/** A registry of every built-in scorer type. */
export function scorerRegistry(): ScorerRegistry {
  return new ScorerRegistry(allScorerDefinitions());
}
