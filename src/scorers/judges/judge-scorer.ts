import { z } from 'zod';
import { readEnv } from '../../config/env.js';
import { type ModelRef, modelRefSchema } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';
import { errorFeedback, type Feedback } from '../../core/feedback.js';
import type { JudgeClient } from '../../core/judge.js';
import type { Aggregation, ScoreResult, Scorer, ScorerArgs } from '../../core/scorer.js';
import { createJudgeResolver } from '../../judges/create-judge-resolver.js';
import { type JudgeSettings, judgeFeedback } from '../../judges/judge-feedback.js';
import { type JudgePrompt, promptMetadata, renderJudgePrompt } from '../../judges/prompt-file.js';
import { judgePromptOptionSchema, type ResolvedJudgePrompt } from '../../judges/registry-prompt.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { VerdictSpec } from '../../judges/verdict.js';
import { HttpRuntime } from '../../runtime/http-runtime.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';

/**
 * The shell every LLM-judge scorer shares: which judge it uses (its own `model`, else the run's
 * default), its reliability settings, and how it gets a judge resolver.
 *
 * Scorers built from an eval file get the run's resolver at build time (`ScorerBuildContext.judges`),
 * which also checks the judge reference before the first row. Scorers made by the library factories
 * (`Correctness()`, `makeJudge({...})`) are unbound: `evaluate()` binds them to the run's resolver with
 * `bindJudges()`; one called directly, outside a run, creates its own resolver from the environment
 * on first use (the default judge: OpenAI with OPENAI_API_KEY, else the local model).
 */

/** Options every judge scorer accepts in the eval file. */
export const judgeOptionsShape = {
  model: modelRefSchema.optional().describe('Judge for this scorer (default: the eval file judge.model)'),
  samples: z
    .number()
    .int()
    .min(1)
    .max(15)
    .optional()
    .describe('Self-consistency: ask n times, majority (mean for numbers); default judge.samples'),
  temperature: z.number().min(0).max(2).optional().describe('Default judge.temperature (0)'),
  max_tokens: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Cap on verdict tokens; default judge.max_tokens'),
  prompt: judgePromptOptionSchema.describe(
    "The judge's prompt from MLflow's prompt registry (prompts:/judgeflow.correctness@production or /3) instead of the built-in one; it must use the judge's variables",
  ),
};

/** The judge options as the eval file spells them. */
export interface JudgeYamlOptions {
  model?: ModelRef | undefined;
  samples?: number | undefined;
  temperature?: number | undefined;
  max_tokens?: number | undefined;
  /** A `prompts:/` reference, or the registry version pre-flight resolved it to. */
  prompt?: string | ResolvedJudgePrompt | undefined;
}

/** Options every judge factory accepts in the library (`Correctness({model: 'openai:/gpt-4o-mini'})`). */
export interface JudgeScorerOptions {
  /** Feedback name (default: the judge's MLflow name, e.g. `correctness`). */
  name?: string;
  aggregations?: Aggregation[];
  /** The judge: an MLflow-style URI (`openai:/gpt-4o-mini`, `local`) or `{provider, base_url, model}`. */
  model?: ModelRef;
  /** Self-consistency samples (majority vote, or mean for numbers). */
  samples?: number;
  temperature?: number;
  maxTokens?: number;
  /**
   * The judge's prompt from MLflow's prompt registry (`prompts:/judgeflow.correctness@production`),
   * fetched from MLFLOW_TRACKING_URI on first use; or a version already loaded with `loadJudgePromptVersion`.
   */
  prompt?: string | ResolvedJudgePrompt;
  /** Bind to this resolver now instead of when the run starts. */
  judges?: JudgeResolver;
}

/** What a judge scorer does with one row, given its judge. */
export interface JudgeScorerSpec {
  /** The eval-file type (`correctness`); also the default feedback name. */
  type: string;
  /** The feedback name. */
  name: string;
  aggregations?: readonly Aggregation[] | undefined;
  /** Feedback names it produces besides `name` (see `Scorer.feedbackNames`). */
  feedbackNames?: readonly string[] | undefined;
  model?: ModelRef | undefined;
  /** Per-scorer overrides of the run's judge defaults. */
  settings: Partial<JudgeSettings>;
  score(args: ScorerArgs, judge: JudgeRun): Promise<ScoreResult>;
}

/** The judge as a scorer's `score` sees it. */
export interface JudgeRun {
  /** The scorer's feedback name. */
  readonly name: string;
  /** The judge's model URI (the LLM_JUDGE source id). */
  readonly modelUri: string;
  /** Renders a prompt file and asks for a verdict; never throws (failures are error feedbacks). */
  ask(request: {
    prompt: JudgePrompt;
    variables: Record<string, string>;
    verdict: VerdictSpec;
    metadata?: Record<string, string>;
    /** Feedback name, when not the scorer's (e.g. `retrieval_relevance` per chunk). */
    name?: string;
  }): Promise<Feedback>;
  /** An error feedback (source LLM_JUDGE) for a row the judge cannot score, e.g. `MISSING_EXPECTATION`. */
  error(code: string, message: string): Feedback;
}

/** Marks factory-made judge scorers; `bindJudges` finds them by it. */
const BIND = Symbol.for('judgeflow.bindJudges');

interface Bindable {
  [BIND]: (judges: JudgeResolver) => Scorer;
}

/**
 * Binds library-made judge scorers to a run's judge resolver (the run's default judge, prices, shared
 * clients); every other scorer is returned as it is. `evaluate()` calls this for the scorer objects it is
 * given.
 */
export function bindJudges(scorers: readonly Scorer[], judges: JudgeResolver): Scorer[] {
  return scorers.map((scorer) => (isBindable(scorer) ? scorer[BIND](judges) : scorer));
}

/** True for a judge scorer that `bindJudges` would bind. */
export function isJudgeScorer(scorer: Scorer): boolean {
  return isBindable(scorer);
}

function isBindable(scorer: Scorer): scorer is Scorer & Bindable {
  return typeof (scorer as Partial<Bindable>)[BIND] === 'function';
}

/** Builds a judge scorer; with `judges` it is bound (and its judge reference checked) now. */
export function judgeScorer(spec: JudgeScorerSpec, judges?: JudgeResolver): Scorer {
  const field = `${spec.type}.model`;
  let bound: { judges: JudgeResolver; client: JudgeClient } | undefined;
  if (judges !== undefined) bound = { judges, client: judges.resolve(spec.model, { field }) };
  let own: Promise<{ judges: JudgeResolver; client: JudgeClient }> | undefined;

  const binding = async (): Promise<{ judges: JudgeResolver; client: JudgeClient }> => {
    if (bound !== undefined) return bound;
    own ??= Promise.resolve().then(() => {
      // Outside a run: a resolver of this scorer's own, from the environment (read through src/config).
      const resolver = createJudgeResolver(undefined, { env: readEnv(), runtime: new HttpRuntime() });
      return { judges: resolver, client: resolver.resolve(spec.model, { field }) };
    });
    return own;
  };

  const scorer: Scorer & Bindable = {
    name: spec.name,
    kind: 'llm_judge',
    ...(spec.aggregations !== undefined ? { aggregations: [...spec.aggregations] } : {}),
    ...(spec.feedbackNames !== undefined ? { feedbackNames: [...spec.feedbackNames] } : {}),
    score: async (args) => {
      const { judges: resolver, client } = await binding();
      return spec.score(args, judgeRun(spec, resolver, client, args));
    },
    [BIND]: (resolver: JudgeResolver) => judgeScorer(spec, resolver),
  };
  return scorer;
}

function judgeRun(
  spec: JudgeScorerSpec,
  judges: JudgeResolver,
  client: JudgeClient,
  args: ScorerArgs,
): JudgeRun {
  const settings: JudgeSettings = {
    temperature: spec.settings.temperature ?? judges.defaults.temperature,
    maxTokens: spec.settings.maxTokens ?? judges.defaults.maxTokens,
    samples: spec.settings.samples ?? judges.defaults.samples,
  };
  const source = { type: 'LLM_JUDGE', id: client.modelUri } as const;
  return {
    name: spec.name,
    modelUri: client.modelUri,
    ask: (request) =>
      judgeFeedback({
        name: request.name ?? spec.name,
        client,
        messages: renderJudgePrompt(request.prompt, request.variables),
        verdict: request.verdict,
        settings,
        args,
        cost: judges.cost !== undefined ? (c, response) => judges.cost?.(c, response) : undefined,
        // every verdict names the prompt version that produced it, so a calibration belongs to one
        metadata: { ...promptMetadata(request.prompt), ...(request.metadata ?? {}) },
        spanName: `judge/${spec.name}`,
      }),
    error: (code, message) => errorFeedback({ name: spec.name, source: { ...source }, code, message }),
  };
}

/** The eval-file judge options as spec settings. */
export function settingsFromYaml(options: JudgeYamlOptions): Partial<JudgeSettings> {
  const settings: Partial<JudgeSettings> = {};
  if (options.samples !== undefined) settings.samples = options.samples;
  if (options.temperature !== undefined) settings.temperature = options.temperature;
  if (options.max_tokens !== undefined) settings.maxTokens = options.max_tokens;
  return settings;
}

/**
 * A library factory's options → the eval-file shape, validated by the same schema as YAML entries, so a
 * bad option fails the same way in code as in a file. `rename` maps camelCase options to their YAML keys.
 */
export function parseJudgeFactoryOptions<Options extends z.ZodObject>(
  definition: ScorerDefinition<Options>,
  options: object,
  rename: Record<string, string> = {},
): { own: z.infer<Options>; common: CommonScorerOptions; judges: JudgeResolver | undefined } {
  const { name, aggregations, judges, maxTokens, ...rest } = options as Record<string, unknown>;
  const common: CommonScorerOptions = {};
  if (typeof name === 'string' && name !== '') common.name = name;
  if (Array.isArray(aggregations)) common.aggregations = [...(aggregations as Aggregation[])];
  const yaml: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) yaml[rename[key] ?? key] = value;
  }
  if (maxTokens !== undefined) yaml.max_tokens = maxTokens;
  const parsed = definition.options.safeParse(yaml);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : undefined;
    throw new ConfigError(
      `${definition.type}${field !== undefined ? `.${field}` : ''}: ${issue?.message ?? 'invalid options'}`,
      { ...(field !== undefined ? { field } : {}), cause: parsed.error },
    );
  }
  return { own: parsed.data, common, judges: judges as JudgeResolver | undefined };
}
