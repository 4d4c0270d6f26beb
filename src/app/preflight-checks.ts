import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Env, readSecret } from '../config/env.js';
import type { LoadedEvalFile } from '../config/load.js';
import { locate } from '../config/load.js';
import type { EvalFile, ModelRef } from '../config/schema.js';
import { ConfigError, JudgeflowError, MissingComponentError } from '../core/errors.js';
import type { RowLocation } from '../core/record.js';
import type { Aggregation, Scorer } from '../core/scorer.js';
import { templateVariables } from '../core/template.js';
import type { DatasetScan, RowReference } from '../datasets/index.js';
import {
  defaultJudgeModel,
  defaultLocalJudgePath,
  judgeKeyVariable,
  parseJudgeModelRef,
} from '../judges/index.js';
import { modelKeyVariable, modelNeedsBaseUrl } from '../models/index.js';
import type { Gate } from '../runner/gates.js';

/**
 * The checks of the pre-flight (`preflight.ts`) that need no model, judge or server: each one finds a
 * mistake that `run` would otherwise find late — after paid calls, or never — and reports it with the
 * file and line of the offending entry.
 */

/** A path into the eval file and the words that name it in messages. */
type Where = ReadonlyArray<string | number>;

function at(loaded: LoadedEvalFile, where: Where): string {
  return locate(loaded, where);
}

/** A scorer entry as the registry parsed it: what the checks need of it. */
export interface ParsedScorerEntry {
  index: number;
  kind: 'code' | 'llm_judge';
  type: string;
  options: Record<string, unknown>;
}

/**
 * Every judge reference (the file's `judge.model`, each scorer's `model`) parses, and — outside Ray,
 * whose workers check their own environment — each judge that will be called has its API key variable
 * set, and a local judge model file exists.
 */
export function checkJudgeReferences(options: {
  loaded: LoadedEvalFile;
  config: EvalFile;
  entries: readonly ParsedScorerEntry[];
  env: Env;
  checkKeys: boolean;
}): void {
  const { loaded, config, env } = options;
  const usesDefault = options.entries.some((e) => e.kind === 'llm_judge' && e.options.model === undefined);
  const refs: Array<{ ref: ModelRef; where: Where; field: string; used: boolean }> = [];
  if (config.judge?.model !== undefined) {
    refs.push({
      ref: config.judge.model,
      where: ['judge', 'model'],
      field: 'judge.model',
      used: usesDefault,
    });
  } else if (usesDefault) {
    // no judge named: the default one (OpenAI with OPENAI_API_KEY, else the local model) must be there
    refs.push({
      ref: defaultJudgeModel(undefined, env),
      where: ['scorers'],
      field: 'judge.model',
      used: true,
    });
  }
  for (const entry of options.entries) {
    const ref = entry.options.model as ModelRef | undefined;
    if (ref === undefined) continue;
    refs.push({
      ref,
      where: ['scorers', entry.index, 'model'],
      field: `scorers[${entry.index}].model`,
      used: true,
    });
  }
  for (const { ref, where, field, used } of refs) {
    let parsed: ReturnType<typeof parseJudgeModelRef>;
    try {
      parsed = parseJudgeModelRef(ref, { baseDir: loaded.baseDir, field, file: loaded.path });
    } catch (error) {
      throw relocated(error, at(loaded, where));
    }
    if (!used) continue;
    if (parsed.provider === 'local') {
      const file = parsed.path ?? defaultLocalJudgePath(env);
      if (!existsSync(file)) {
        const hint = parsed.path === undefined ? ' (set OPENAI_API_KEY to judge with OpenAI instead)' : '';
        throw new MissingComponentError(
          `${at(loaded, where)}: ${field}: the local judge model ${file} does not exist${hint}`,
          {
            installCommand: 'judgeflow setup --only judge',
          },
        );
      }
      continue;
    }
    const key = judgeKeyVariable(parsed);
    if (options.checkKeys && key !== undefined && readSecret(env, key) === undefined) {
      throw new ConfigError(
        `${at(loaded, where)}: ${field}: environment variable ${key} (the judge's API key) is not set`,
        {
          file: loaded.path,
          field,
        },
      );
    }
  }
}

/**
 * The model under test's settings that fail every row when wrong: a missing base URL, an unset key
 * variable (outside Ray), a prompt that reaches beyond `{{ inputs }}`, a local model file that is not there.
 */
export function checkModel(options: {
  loaded: LoadedEvalFile;
  config: EvalFile;
  env: Env;
  checkKeys: boolean;
}): void {
  const { loaded, config, env } = options;
  const model = config.model;
  if (model === undefined || model.provider === 'module') return;
  if (model.provider === 'local') {
    const file =
      model.model !== undefined ? path.resolve(loaded.baseDir, model.model) : defaultLocalJudgePath(env);
    if (!existsSync(file)) {
      throw new MissingComponentError(
        `${at(loaded, ['model', 'model'])}: model.model: the local model ${file} does not exist`,
        {
          installCommand: 'judgeflow setup --only judge',
        },
      );
    }
  } else {
    if (modelNeedsBaseUrl(model) && model.base_url === undefined) {
      throw new ConfigError(
        `${at(loaded, ['model', 'provider'])}: model.base_url: missing; provider ${model.provider} needs the server's base URL, e.g. http://127.0.0.1:8000/v1`,
        { file: loaded.path, field: 'model.base_url' },
      );
    }
    const key = modelKeyVariable(model);
    if (options.checkKeys && key !== undefined && readSecret(env, key) === undefined) {
      const where: Where = model.api_key_env !== undefined ? ['model', 'api_key_env'] : ['model', 'provider'];
      throw new ConfigError(
        `${at(loaded, where)}: model.api_key_env: environment variable ${key} (the model's API key) is not set`,
        { file: loaded.path, field: 'model.api_key_env' },
      );
    }
  }
  if (model.prompt !== undefined) checkModelPrompt(loaded, model.prompt);
}

/** A model prompt may only reach into the inputs (a `prompts:/` reference is checked once resolved). */
export function checkModelPrompt(loaded: LoadedEvalFile, prompt: string): void {
  if (prompt.startsWith('prompts:/')) return;
  for (const variable of templateVariables(prompt)) {
    if (variable !== 'inputs' && !variable.startsWith('inputs.')) {
      throw new ConfigError(
        `${at(loaded, ['model', 'prompt'])}: model.prompt uses "{{ ${variable} }}"; a model prompt can only use {{ inputs }} or {{ inputs.<field> }}`,
        { file: loaded.path, field: 'model.prompt' },
      );
    }
  }
}

/** The `inputs.<path>` variables of the model's prompt template: every row must have them. */
export function promptInputs(prompt: string | undefined): string[] {
  if (prompt === undefined) return [];
  return [
    ...new Set(
      templateVariables(prompt)
        .filter((v) => v.startsWith('inputs.'))
        .map((v) => v.slice('inputs.'.length)),
    ),
  ];
}

/**
 * What the scan found that no row could survive: rows without outputs and no model to answer them, and
 * prompt variables some rows lack (their model call would fail). Custom judge instructions naming an
 * input or expectation that no row has are refused too (every feedback would be an error).
 */
export function checkRowsAgainstConfig(options: {
  loaded: LoadedEvalFile;
  config: EvalFile;
  scan: DatasetScan;
  entries: readonly ParsedScorerEntry[];
}): void {
  const { loaded, config, scan } = options;
  if (
    config.model === undefined &&
    scan.rowsWithoutOutputs > 0 &&
    scan.firstRowWithoutOutputs !== undefined
  ) {
    const first = scan.firstRowWithoutOutputs;
    const others =
      scan.rowsWithoutOutputs === 1
        ? `1 of ${scan.rows} rows has no outputs`
        : `${scan.rowsWithoutOutputs} of ${scan.rows} rows have no outputs`;
    throw new ConfigError(
      `${rowText(first)} has no outputs, and ${loaded.path} configures no model under test (${others}); give the rows outputs, or add a model: section`,
      { file: loaded.path, field: 'model' },
    );
  }
  for (const missing of scan.missingInputs) {
    const where = at(loaded, ['model', 'prompt']);
    const variable = `{{ inputs.${missing.path} }}`;
    if (missing.rows === scan.rows) {
      throw new ConfigError(
        `${where}: model.prompt uses ${variable}, but no row has that input (the dataset's inputs: ${list(scan.schema.inputs)})`,
        { file: loaded.path, field: 'model.prompt' },
      );
    }
    throw new ConfigError(
      `${where}: model.prompt uses ${variable}, but ${missing.rows} of ${scan.rows} rows lack that input, the first being ${rowText(missing.first)}; its model call would fail`,
      { file: loaded.path, field: 'model.prompt' },
    );
  }
  if (scan.schema.truncated) return;
  for (const entry of options.entries) {
    const instructions = entry.options.instructions;
    if (entry.type !== 'judge' || typeof instructions !== 'string') continue;
    for (const variable of templateVariables(instructions)) {
      const [root, key] = variable.split('.');
      const known =
        root === 'inputs'
          ? scan.schema.inputs
          : root === 'expectations'
            ? scan.schema.expectations
            : undefined;
      if (key === undefined || known === undefined || known.includes(key)) continue;
      throw new ConfigError(
        `${at(loaded, ['scorers', entry.index, 'instructions'])}: scorers[${entry.index}].instructions uses {{ ${variable} }}, but no row has ${root === 'inputs' ? 'an input' : 'an expectation'} "${key}" (the dataset's ${root}: ${list(known)})`,
        { file: loaded.path, field: `scorers[${entry.index}].instructions` },
      );
    }
  }
}

/** Two scorers with one name would merge into one metric: refused, naming both entries. */
export function checkScorerNames(loaded: LoadedEvalFile, scorers: readonly Scorer[]): void {
  const first = new Map<string, number>();
  for (const [i, scorer] of scorers.entries()) {
    const earlier = first.get(scorer.name);
    if (earlier === undefined) {
      first.set(scorer.name, i);
      continue;
    }
    const line = loaded.lineOf(['scorers', earlier]);
    throw new ConfigError(
      `${at(loaded, ['scorers', i])}: scorers[${i}] and scorers[${earlier}]${line !== undefined ? ` (line ${line})` : ''} are both named "${scorer.name}", so their feedbacks would merge into one metric; give each its own name: (e.g. name: ${scorer.name}_2)`,
      { file: loaded.path, field: `scorers[${i}].name` },
    );
  }
}

/** Feedback names the scorers produce, with the aggregations each name gets. */
function producedMetrics(scorers: readonly Scorer[]): Map<string, readonly Aggregation[]> {
  const produced = new Map<string, readonly Aggregation[]>();
  for (const scorer of scorers) {
    const aggregations = scorer.aggregations ?? ['mean'];
    produced.set(scorer.name, aggregations);
    for (const name of scorer.feedbackNames ?? []) {
      if (!produced.has(name)) produced.set(name, [...new Set<Aggregation>(['mean', ...aggregations])]);
    }
  }
  return produced;
}

/**
 * Every quality gate names a metric some scorer produces; a gate on a metric that never appears would
 * fail the run after it has been paid for. File gates are located by line, CLI gates by their flag.
 */
export function checkGates(options: {
  loaded: LoadedEvalFile;
  config: EvalFile;
  scorers: readonly Scorer[];
  gates: readonly Gate[];
  cliGates: readonly string[];
}): void {
  const { loaded, scorers } = options;
  const produced = producedMetrics(scorers);
  const names = [...produced.keys()];
  const fileGates = Object.keys(options.config.fail_under ?? {});
  for (const gate of options.gates) {
    const slash = gate.metric.lastIndexOf('/');
    const name = gate.metric.slice(0, slash);
    const aggregation = gate.metric.slice(slash + 1) as Aggregation;
    const where = fileGates.includes(gate.metric)
      ? `${at(loaded, ['fail_under', gate.metric])}: fail_under ${gate.metric}`
      : `--fail-under ${options.cliGates.find((g) => g.trim().startsWith(`${gate.metric}=`)) ?? gate.metric}`;
    const aggregations = produced.get(name);
    if (aggregations === undefined) {
      throw new ConfigError(
        `${where}: no scorer produces "${name}" (the scorers' metrics: ${list(names)})${suggest(name, names)}`,
        { file: loaded.path, field: 'fail_under' },
      );
    }
    if (!aggregations.includes(aggregation)) {
      throw new ConfigError(
        `${where}: "${name}" is aggregated as ${aggregations.join(', ')} only; add ${aggregation} to its aggregations: [${[...aggregations, aggregation].join(', ')}]`,
        { file: loaded.path, field: 'fail_under' },
      );
    }
  }
}

/** `allow_no_values` names scorers that exist. */
export function checkAllowNoValues(
  loaded: LoadedEvalFile,
  config: EvalFile,
  scorers: readonly Scorer[],
): void {
  const allow = config.allow_no_values;
  if (!Array.isArray(allow)) return;
  const names = [...producedMetrics(scorers).keys()];
  for (const name of allow) {
    if (!names.includes(name)) {
      throw new ConfigError(
        `${at(loaded, ['allow_no_values'])}: allow_no_values: no scorer produces "${name}" (the scorers' metrics: ${list(names)})${suggest(name, names)}`,
        { file: loaded.path, field: 'allow_no_values' },
      );
    }
  }
}

/**
 * A ConfigError that does not say where it is gets the entry's `file:line` and field in front
 * (`scorers[]` in its field becomes the entry's own `scorers[2]`).
 */
export function relocated(error: unknown, where: string, entry?: string): unknown {
  if (!(error instanceof JudgeflowError) || error.exitCode !== 2) return error;
  const file = where.replace(/:\d+$/, '');
  if (error.message.startsWith(file)) return error;
  if (error instanceof ConfigError) {
    const field = entry !== undefined ? (error.field?.replace(/^scorers\[\]/, entry) ?? entry) : error.field;
    const named = field !== undefined && !error.message.startsWith(field) ? `${field}: ` : '';
    return new ConfigError(`${where}: ${named}${error.message}`, {
      file,
      ...(field !== undefined ? { field } : {}),
      cause: error,
    });
  }
  return error;
}

function rowText(row: RowReference): string {
  // an id derived from the inputs (a sha256) says nothing to a reader; an id from the file does
  const derived = /^[0-9a-f]{64}(#\d+)?$/.test(row.id);
  return `${locationText(row.location)}${derived ? '' : ` (row id ${JSON.stringify(row.id)})`}`;
}

function locationText(location: RowLocation): string {
  return `${location.source}:line ${location.line}${location.element !== undefined ? `, element [${location.element}]` : ''}`;
}

function list(values: readonly string[]): string {
  return values.length > 0 ? values.join(', ') : 'none';
}

/** ` — did you mean "x"?` for a near miss (edit distance at most 2). */
function suggest(name: string, names: readonly string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of names) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance))
      best = { name: candidate, distance };
  }
  return best !== undefined ? ` — did you mean "${best.name}"?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}
