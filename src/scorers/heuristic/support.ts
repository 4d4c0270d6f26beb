import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { errorFeedback, type Feedback, type FeedbackValue } from '../../core/feedback.js';
import { canonicalJson, isPlainObject } from '../../core/json.js';
import type { Aggregation, ScoreResult, Scorer, ScorerArgs } from '../../core/scorer.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';

// Shared by the heuristic scorers: option parsing for the library factories, the feedback builder
// every scorer uses, and the "what do we compare" rules (outputs text, expectation values).

/** Builds this scorer's feedbacks: name and CODE source already filled in. */
export interface FeedbackBuilder {
  /** The feedback name (and CODE source id). */
  readonly name: string;
  value(value: FeedbackValue, details?: { rationale?: string; metadata?: Record<string, string> }): Feedback;
  /** "Could not score": value null, error set — never a 0. */
  error(code: string, message: string): Feedback;
}

export function feedbackBuilder(name: string): FeedbackBuilder {
  const source = { type: 'CODE', id: name } as const;
  return {
    name,
    value(value, details) {
      const feedback: Feedback = { name, value, source: { ...source } };
      if (details?.rationale !== undefined) feedback.rationale = details.rationale;
      if (details?.metadata !== undefined) feedback.metadata = details.metadata;
      return feedback;
    },
    error(code, message) {
      return errorFeedback({ name, source: { ...source }, code, message });
    },
  };
}

/**
 * The Scorer shell shared by every heuristic scorer: `common.name` overrides the feedback name (and
 * source id), `common.aggregations` the run metrics.
 */
export function codeScorer(
  defaultName: string,
  common: CommonScorerOptions,
  score: (args: ScorerArgs, feedback: FeedbackBuilder) => ScoreResult,
): Scorer {
  const name = common.name ?? defaultName;
  const feedback = feedbackBuilder(name);
  const scorer: Scorer = {
    name,
    kind: 'code',
    ...(common.aggregations !== undefined ? { aggregations: [...common.aggregations] } : {}),
    score: (args) => score(args, feedback),
  };
  return scorer;
}

/**
 * Library factories take the eval file's option names (snake_case, one options table for both) plus
 * `name`/`aggregations`, and validate them with the same schema the registry uses, so a bad option fails
 * the same way in code as in YAML.
 */
export function parseFactoryOptions<Options extends z.ZodObject>(
  definition: ScorerDefinition<Options>,
  options: object,
): { own: z.infer<Options>; common: CommonScorerOptions } {
  const { name, aggregations, ...rest } = options as Record<string, unknown>;
  const common: CommonScorerOptions = {};
  if (typeof name === 'string' && name !== '') common.name = name;
  if (Array.isArray(aggregations)) common.aggregations = [...(aggregations as Aggregation[])];
  const parsed = definition.options.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : undefined;
    throw new ConfigError(
      `${definition.type}${field !== undefined ? `.${field}` : ''}: ${issue?.message ?? 'invalid options'}`,
      { ...(field !== undefined ? { field } : {}), cause: parsed.error },
    );
  }
  return { own: parsed.data, common };
}

/** `output_key`: which field of an object output to score. */
export const outputKeyOption = z
  .string()
  .min(1)
  .optional()
  .describe('When outputs is an object, score this field of it (default: the whole outputs)');

/** `expectation_key`: which expectation to compare against. */
export const expectationKeyOption = z
  .string()
  .min(1)
  .default('expected_response')
  .describe('The expectation to compare against');

/**
 * Text of a value as the heuristic scorers compare it: strings as they are, null/undefined as the
 * empty string (no output), anything else as canonical JSON (sorted keys) so key order never matters.
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return canonicalJson(value);
}

/**
 * The part of the outputs a scorer looks at: the whole outputs, or `outputs[outputKey]`. A missing key
 * is an error feedback: the row cannot be scored as configured.
 */
export function selectOutputs(
  outputs: unknown,
  outputKey: string | undefined,
  feedback: FeedbackBuilder,
): { value: unknown } | Feedback {
  if (outputKey === undefined) return { value: outputs };
  if (!isPlainObject(outputs) || !(outputKey in outputs)) {
    const shape = isPlainObject(outputs) ? 'an object without it' : describeType(outputs);
    return feedback.error(
      'MISSING_OUTPUT_KEY',
      `scorer "${feedback.name}": output_key "${outputKey}" not found (outputs is ${shape})`,
    );
  }
  return { value: outputs[outputKey] };
}

/** `selectOutputs` then `textOf`. */
export function outputText(
  outputs: unknown,
  outputKey: string | undefined,
  feedback: FeedbackBuilder,
): string | Feedback {
  const selected = selectOutputs(outputs, outputKey, feedback);
  return isFeedback(selected) ? selected : textOf(selected.value);
}

/** An expectation's value; absent or null is `MISSING_EXPECTATION`. */
export function expectationValue(
  expectations: Record<string, unknown>,
  key: string,
  feedback: FeedbackBuilder,
): { value: unknown } | Feedback {
  const value = expectations[key];
  if (value === undefined || value === null) {
    return feedback.error(
      'MISSING_EXPECTATION',
      `scorer "${feedback.name}" needs expectations.${key}, which this row does not have`,
    );
  }
  return { value };
}

/** True when `selectOutputs`/`expectationValue`/`outputText` returned an error feedback. */
export function isFeedback<T>(value: T | Feedback): value is Feedback {
  return typeof value === 'object' && value !== null && 'source' in value;
}

/** Code points, not UTF-16 units: "é" or "😀" count as one. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Shortens text for a rationale, on a code point boundary. */
export function excerpt(text: string, max = 80): string {
  // A code point is at most two UTF-16 units: this prefix holds enough of them, however long the text.
  const points = Array.from(text.slice(0, max * 2 + 2));
  const shown = points.length > max ? `${points.slice(0, max - 1).join('')}…` : text;
  return JSON.stringify(shown);
}

function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
