import path from 'node:path';
import { z } from 'zod';
import { type LoadedEvalFile, locate } from '../config/load.js';
import { type EvalFile, type ModelConfig, modelRefSchema, type ScorerEntry } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';

/**
 * Models under test: `model:` (one) or `models:` (several, by name). With `models:` every model is
 * evaluated on the same rows in a run of its own; `pairwise` scorer entries are not run per model but
 * kept for the comparison that follows the runs.
 */

/** The scorer type that compares two models' outputs; only valid with two or more models. */
export const PAIRWISE_SCORER_TYPE = 'pairwise';

/** A `pairwise` scorer entry's options (the judge compares two outputs, in both orders). */
export const pairwiseEntrySchema = z
  .object({
    type: z.literal(PAIRWISE_SCORER_TYPE),
    name: z.string().min(1).optional().describe('Name of the comparison (default pairwise)'),
    judge: modelRefSchema.optional().describe('The judge; default: the eval file judge'),
    criteria: z.string().min(1).optional().describe('What makes one response better than the other'),
  })
  .strict();
export type PairwiseEntry = z.infer<typeof pairwiseEntrySchema>;

export function isPairwiseEntry(entry: ScorerEntry): boolean {
  return typeof entry === 'object' && entry.type === PAIRWISE_SCORER_TYPE;
}

/** The names of the file's models under test, in file order (empty for `model:` or no model). */
export function modelNames(config: EvalFile): string[] {
  return Object.keys(config.models ?? {});
}

/**
 * The rules `models:` adds, checked before anything else about the file: not both `model:` and
 * `models:`, at least one model in `models:`, and `pairwise` scorers only with two or more models
 * (with valid options).
 */
export function checkModelsUnderTest(loaded: LoadedEvalFile, config: EvalFile): void {
  if (config.model !== undefined && config.models !== undefined) {
    throw new ConfigError(
      `${locate(loaded, ['models'])}: models: and model: cannot both be set; name one model under test with model:, or several with models: (one run each, then compared)`,
      { file: loaded.path, field: 'models' },
    );
  }
  const count = modelNames(config).length;
  if (config.models !== undefined && count === 0) {
    throw new ConfigError(
      `${locate(loaded, ['models'])}: models: is empty; name at least one model under test (name: {provider: ...})`,
      { file: loaded.path, field: 'models' },
    );
  }
  let pairwiseSeen: number | undefined;
  config.scorers.forEach((entry, index) => {
    if (!isPairwiseEntry(entry)) return;
    const where = locate(loaded, ['scorers', index]);
    if (pairwiseSeen !== undefined) {
      throw new ConfigError(
        `${where}: scorers[${index}]: only one pairwise scorer per eval file (scorers[${pairwiseSeen}] is one already); put every criterion in its criteria`,
        { file: loaded.path, field: `scorers[${index}]` },
      );
    }
    pairwiseSeen = index;
    if (count < 2) {
      throw new ConfigError(
        `${where}: scorers[${index}]: a pairwise scorer compares two models' outputs, so it needs models: with at least two models under test (this file has ${count === 0 ? (config.model !== undefined ? 'one, under model:' : 'none') : 'one'})`,
        { file: loaded.path, field: `scorers[${index}]` },
      );
    }
    const parsed = pairwiseEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue !== undefined && issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
      throw new ConfigError(
        `${where}: scorers[${index}]${field}: ${issue?.message ?? 'invalid pairwise scorer'} (options: type, name, judge, criteria)`,
        { file: loaded.path, field: `scorers[${index}]` },
      );
    }
  });
}

/** The `pairwise` entries of the file, for the comparison step. */
export function pairwiseEntries(config: EvalFile): PairwiseEntry[] {
  return config.scorers.filter(isPairwiseEntry).map((entry) => pairwiseEntrySchema.parse(entry));
}

/**
 * The file as a single-model file for model `name` of `models:`: `model:` set to it, `models:` gone,
 * `pairwise` scorers left out. Line lookups still point into the real file (`model.x` → `models.<name>.x`,
 * a scorer's index → its index in the file), so every later error names the right line.
 */
export function selectModel(
  loaded: LoadedEvalFile,
  config: EvalFile,
  name: string,
): { loaded: LoadedEvalFile; config: EvalFile } {
  const model = config.models?.[name];
  if (model === undefined) {
    throw new ConfigError(
      `${locate(loaded, ['models'])}: no model named "${name}" under models: (there are: ${modelNames(config).join(', ') || 'none'})`,
      { file: loaded.path, field: 'models' },
    );
  }
  const kept: number[] = [];
  config.scorers.forEach((entry, index) => {
    if (!isPairwiseEntry(entry)) kept.push(index);
  });
  const { models: _models, ...rest } = config;
  const selected: EvalFile = {
    ...rest,
    model,
    scorers: kept.map((index) => config.scorers[index] as ScorerEntry),
  };
  const lineOf = (at: ReadonlyArray<string | number>): number | undefined => {
    if (at[0] === 'model') return loaded.lineOf(['models', name, ...at.slice(1)]);
    if (at[0] === 'scorers' && typeof at[1] === 'number')
      return loaded.lineOf(['scorers', kept[at[1]] ?? at[1], ...at.slice(2)]);
    return loaded.lineOf(at);
  };
  return { loaded: { ...loaded, config: selected, lineOf }, config: selected };
}

/**
 * The LoggedModel name of a model under test: its `models:` key, else `model.name`, else derived
 * from the config — `<provider>-<model>` for an HTTP or local model (the GGUF file's base name,
 * `local-default` for the installed one), `module-<file>-<export>` for a module — with the characters
 * MLflow refuses in a LoggedModel name (`/ : . % " '`) replaced by `-`.
 */
export function modelUnderTestName(model: ModelConfig, key?: string): string {
  if (key !== undefined) return key;
  if (model.name !== undefined) return model.name;
  let derived: string;
  if (model.provider === 'module') {
    derived = `module-${path.basename(model.path, path.extname(model.path))}-${model.export}`;
  } else if (model.provider === 'local') {
    derived =
      model.model !== undefined
        ? `local-${path.basename(model.model, path.extname(model.model))}`
        : 'local-default';
  } else {
    derived = `${model.provider}-${model.model}`;
  }
  return derived.replace(/[/:.%"'\s]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}
