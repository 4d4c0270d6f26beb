import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { Scorer } from '../core/scorer.js';
import { loadExport } from '../runtime/module-loader.js';
import type { ScorerDefinition } from './registry.js';
import { scorer } from './scorer.js';

const optionsSchema = z
  .object({
    path: z.string().min(1).describe('Module path relative to the eval file (.ts, .mts, .js, .mjs)'),
    export: z.string().min(1).default('default').describe('Exported scorer: a Scorer object or a function'),
  })
  .strict();

/**
 * A custom scorer named by module path and export, so any worker process can load it. The export may be
 * a `Scorer` (e.g. made with `scorer(fn, {name})`) or a plain function (named after the export).
 */
export const moduleScorerDefinition: ScorerDefinition<typeof optionsSchema> = {
  type: 'module',
  kind: 'code',
  description: 'A custom scorer loaded from a module by path and export',
  needs: 'user-defined',
  options: optionsSchema,
  async create(options, common, context) {
    const loaded = await loadExport({
      modulePath: options.path,
      exportName: options.export,
      baseDir: context.baseDir,
      field: 'scorers[].path',
    });
    let base: Scorer;
    if (isScorer(loaded)) base = loaded;
    else if (typeof loaded === 'function') {
      base = scorer(loaded as Parameters<typeof scorer>[0], { name: loaded.name || options.export });
    } else {
      throw new ConfigError(
        `export "${options.export}" of ${options.path} is neither a scorer nor a function`,
        { field: 'scorers[].export' },
      );
    }
    if (common.name === undefined && common.aggregations === undefined) return base;
    return {
      name: common.name ?? base.name,
      kind: base.kind,
      ...(common.aggregations !== undefined
        ? { aggregations: common.aggregations }
        : base.aggregations !== undefined
          ? { aggregations: base.aggregations }
          : {}),
      ...(base.feedbackNames !== undefined ? { feedbackNames: base.feedbackNames } : {}),
      score: (args) => base.score(args),
    };
  },
};

function isScorer(value: unknown): value is Scorer {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Scorer).name === 'string' &&
    typeof (value as Scorer).score === 'function'
  );
}
