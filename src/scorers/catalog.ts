import type { ScorerKind } from '../core/scorer.js';
import * as builtins from './builtins.js';
import type { ScorerDefinition } from './registry.js';

/** The order of kinds in derived lists (the JSON Schema, the docs table): code scorers, then judges. */
const KIND_ORDER: Record<ScorerKind, number> = { code: 0, llm_judge: 1 };

/** A value exported by the registry that is a scorer definition (not a factory or an alias). */
export function isScorerDefinition(value: unknown): value is ScorerDefinition {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<ScorerDefinition>;
  return (
    typeof candidate.type === 'string' &&
    typeof candidate.kind === 'string' &&
    typeof candidate.description === 'string' &&
    typeof candidate.create === 'function' &&
    candidate.options !== undefined
  );
}

/**
 * The definitions among a module's exports, in a stable order: by kind, then by type. (A module
 * namespace lists its exports alphabetically by export name, which is no order a reader would choose.)
 */
export function definitionsOf(exports: Record<string, unknown>): ScorerDefinition[] {
  const found = new Set(Object.values(exports).filter(isScorerDefinition));
  return [...found].sort(
    (a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0),
  );
}

/** Every built-in scorer type, read off the registry (`builtins.ts`). */
export const builtinScorerDefinitions: readonly ScorerDefinition[] = definitionsOf(builtins);
