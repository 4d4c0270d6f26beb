import { builtinScorerDefinitions } from './catalog.js';
import { type ScorerDefinition, ScorerRegistry } from './registry.js';

export * from './builtins.js';
export { builtinScorerDefinitions, definitionsOf, isScorerDefinition } from './catalog.js';
export * from './heuristic/index.js';
export * from './judges/index.js';
export type {
  CommonScorerOptions,
  RowNeed,
  ScorerBuildContext,
  ScorerDefinition,
} from './registry.js';
export { normalizeScorerType, ScorerRegistry } from './registry.js';
export { type ScorerFnArgs, type ScorerOptions, scorer } from './scorer.js';

/** Every scorer type usable from an eval file (the registry, src/scorers/builtins.ts). */
export function allScorerDefinitions(): ScorerDefinition[] {
  return [...builtinScorerDefinitions];
}

/** A registry of every built-in scorer type. */
export function scorerRegistry(): ScorerRegistry {
  return new ScorerRegistry(allScorerDefinitions());
}
