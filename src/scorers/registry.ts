import type { z } from 'zod';
import type { Env } from '../config/env.js';
import type { ScorerEntry } from '../config/schema.js';
import { explainIssue, fieldName } from '../config/zod-issues.js';
import { ConfigError } from '../core/errors.js';
import type { Aggregation, Scorer, ScorerKind } from '../core/scorer.js';
import type { JudgeResolver } from '../judges/resolver.js';

/** What scorer factories get: where the eval file lives, the environment, and judge clients. */
export interface ScorerBuildContext {
  /** Directory of the eval file; module paths resolve against it. */
  baseDir: string;
  env: Env;
  /** Resolves judge model references for LLM scorers (global default, per-scorer override). */
  judges: JudgeResolver;
}

/** Options every scorer entry accepts besides its own. */
export interface CommonScorerOptions {
  name?: string;
  aggregations?: Aggregation[];
}

/**
 * A part of a row a scorer reads, for the docs table: `retrieved context` is the trace's RETRIEVER
 * spans or a `retrieved_context` field (see `judges/retrieval-context.ts`); `expectations.<key>` names
 * the expectation (`expectations.expected_response | expected_facts` when either will do).
 */
export type RowNeed = 'inputs' | 'outputs' | 'trace' | 'retrieved context' | `expectations.${string}`;

/**
 * A scorer type usable from the eval file. Adding one: write the file (its library function and this
 * definition), its test, and one line in `src/scorers/builtins.ts`; `npm run generate` then refreshes
 * the JSON Schema and the README table, which are derived from the registry.
 */
export interface ScorerDefinition<Options extends z.ZodObject = z.ZodObject> {
  /** The `type` in the eval file (snake_case, e.g. `exact_match`); also accepted as a bare string. */
  readonly type: string;
  /** Other accepted spellings (`RelevanceToInput` for `relevance_to_query`). */
  readonly aliases?: readonly string[];
  readonly kind: ScorerKind;
  /** One line for the docs and the JSON Schema. */
  readonly description: string;
  /**
   * What a row must carry for a value (a row without it gets an error feedback, or no feedback), for
   * the docs table; `user-defined` for scorers whose code or instructions decide (`module`, `judge`).
   */
  readonly needs: readonly RowNeed[] | 'user-defined';
  /** The scorer's own options (without type/name/aggregations). Use `.strict()` so typos fail. */
  readonly options: Options;
  create(
    options: z.infer<Options>,
    common: CommonScorerOptions,
    context: ScorerBuildContext,
  ): Scorer | Promise<Scorer>;
}

/** Normalizes `ExactMatch`, `exact-match`, `exactMatch` and `exact_match` to `exact_match`. */
export function normalizeScorerType(type: string): string {
  return type
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase();
}

/** Where a scorer entry is, for error messages: `scorers[2]` of `eval.yaml`, line 7. */
export interface ScorerLocation {
  /** The eval file. */
  file?: string;
  /** The entry's field, e.g. `scorers[2]`. */
  field: string;
  /** The line of a path inside the entry (`['guidelines']`), or of the entry itself (`[]`). */
  lineOf?: (pathInEntry: ReadonlyArray<string | number>) => number | undefined;
}

/** `eval.yaml:7: ` — or nothing when the file is unknown. */
function prefix(where: ScorerLocation, pathInEntry: ReadonlyArray<string | number>): string {
  if (where.file === undefined) return '';
  const line = where.lineOf?.(pathInEntry);
  return `${where.file}${line !== undefined ? `:${line}` : ''}: `;
}

export class ScorerRegistry {
  private readonly byType = new Map<string, ScorerDefinition>();

  constructor(definitions: readonly ScorerDefinition[]) {
    for (const definition of definitions) {
      for (const key of [definition.type, ...(definition.aliases ?? [])]) {
        const normalized = normalizeScorerType(key);
        if (this.byType.has(normalized)) throw new Error(`scorer type registered twice: ${normalized}`);
        this.byType.set(normalized, definition);
      }
    }
  }

  definitions(): ScorerDefinition[] {
    return [...new Set(this.byType.values())];
  }

  get(type: string): ScorerDefinition | undefined {
    return this.byType.get(normalizeScorerType(type));
  }

  /** Validates one eval-file scorer entry (options included) without building it. */
  parse(
    entry: ScorerEntry,
    where: ScorerLocation,
  ): { definition: ScorerDefinition; options: Record<string, unknown>; common: CommonScorerOptions } {
    const raw: Record<string, unknown> = typeof entry === 'string' ? { type: entry } : { ...entry };
    const type = String(raw.type);
    const definition = this.get(type);
    if (definition === undefined) {
      const known = this.definitions()
        .map((d) => d.type)
        .sort()
        .join(', ');
      throw new ConfigError(
        `${prefix(where, typeof entry === 'string' ? [] : ['type'])}${where.field}: unknown scorer type "${type}" (known: ${known})`,
        {
          ...(where.file !== undefined ? { file: where.file } : {}),
          field: `${where.field}.type`,
        },
      );
    }
    const { type: _type, name, aggregations, ...rest } = raw;
    const common: CommonScorerOptions = {};
    if (typeof name === 'string') common.name = name;
    if (Array.isArray(aggregations)) common.aggregations = aggregations as Aggregation[];
    const parsed = definition.options.safeParse(rest);
    if (!parsed.success) {
      const explained = explainIssue(parsed.error.issues[0]!, rest);
      const issuePath = explained.path.length > 0 ? `.${fieldName(explained.path)}` : '';
      throw new ConfigError(
        `${prefix(where, explained.at)}${where.field}${issuePath} (${definition.type}): ${explained.message}`,
        {
          ...(where.file !== undefined ? { file: where.file } : {}),
          field: `${where.field}${issuePath}`,
          cause: parsed.error,
        },
      );
    }
    return { definition, options: parsed.data as Record<string, unknown>, common };
  }

  /** Validates and builds one scorer. */
  async create(entry: ScorerEntry, context: ScorerBuildContext, where: ScorerLocation): Promise<Scorer> {
    const { definition, options, common } = this.parse(entry, where);
    return definition.create(options as never, common, context);
  }
}
