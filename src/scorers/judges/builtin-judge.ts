import { readEnv } from '../../config/env.js';
import { ConfigError, errorMessage } from '../../core/errors.js';
import type { ScoreResult, Scorer, ScorerArgs } from '../../core/scorer.js';
import { type JudgePrompt, loadJudgePrompt } from '../../judges/prompt-file.js';
import { judgePromptFromRegistry, type ResolvedJudgePrompt } from '../../judges/registry-prompt.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import { createVerdictSpec, type VerdictSpec, YES_NO } from '../../judges/verdict.js';
import type { CommonScorerOptions } from '../registry.js';
import { type JudgeRun, type JudgeYamlOptions, judgeScorer, settingsFromYaml } from './judge-scorer.js';

/** What a built-in judge's `score` gets: the row, its judge, its prompt file and verdict. */
export interface BuiltinJudgeContext {
  judge: JudgeRun;
  prompt: JudgePrompt;
  verdict: VerdictSpec;
}

/**
 * A built-in judge scorer: the prompt file `prompts/<type>.yaml` (read once, when the scorer is made)
 * with its verdict type, and the scorer's own rule for filling the prompt from a row. With `prompt:`
 * the system and user text come from that version in MLflow's prompt registry instead: resolved by
 * pre-flight for an eval file (checked before any row), or fetched on first use from
 * MLFLOW_TRACKING_URI for a library scorer given a `prompts:/` reference.
 */
export function builtinJudge(config: {
  type: string;
  options: JudgeYamlOptions;
  common: CommonScorerOptions;
  judges: JudgeResolver | undefined;
  /** Feedback names it produces besides its own, from its name (`<name>/precision`). */
  extraFeedbackNames?: (name: string) => string[];
  /** The prompt to ask with, made from the file's (the rubric variant of a quality judge); its verdict is used. */
  promptVariant?: (prompt: JudgePrompt) => JudgePrompt;
  score: (args: ScorerArgs, context: BuiltinJudgeContext) => Promise<ScoreResult> | ScoreResult;
}): Scorer {
  const file = loadJudgePrompt(config.type);
  const own = config.promptVariant !== undefined ? config.promptVariant(file) : file;
  const verdict = createVerdictSpec(own.verdict ?? YES_NO, config.type);
  const option = config.options.prompt;
  const fixed = typeof option === 'object' ? judgePromptFromRegistry(own, option) : own;
  let fetched: Promise<JudgePrompt> | undefined;
  const promptFor = async (): Promise<JudgePrompt> => {
    if (typeof option !== 'string') return fixed;
    fetched ??= fetchRegistryPrompt(option).then((resolved) => judgePromptFromRegistry(own, resolved));
    return fetched;
  };
  const name = config.common.name ?? config.type;
  return judgeScorer(
    {
      type: config.type,
      name,
      ...(config.extraFeedbackNames !== undefined ? { feedbackNames: config.extraFeedbackNames(name) } : {}),
      aggregations: config.common.aggregations,
      model: config.options.model,
      settings: settingsFromYaml(config.options),
      score: async (args, judge) => {
        let prompt: JudgePrompt;
        try {
          prompt = await promptFor();
        } catch (error) {
          return judge.error('JUDGE_PROMPT_UNAVAILABLE', errorMessage(error));
        }
        return config.score(args, { judge, prompt, verdict });
      },
    },
    config.judges,
  );
}

/** A library scorer's `prompt: prompts:/...`, from the tracking server of the environment. */
async function fetchRegistryPrompt(uri: string): Promise<ResolvedJudgePrompt> {
  const env = readEnv();
  if (env.mlflowTrackingUri === undefined) {
    throw new ConfigError(
      `prompt ${uri} lives in MLflow's prompt registry: set MLFLOW_TRACKING_URI, or pass the version loaded with loadJudgePromptVersion()`,
      { field: 'prompt' },
    );
  }
  const { MlflowClient, loadJudgePromptVersion } = await import('../../sinks/mlflow/index.js');
  const client = new MlflowClient({ trackingUri: env.mlflowTrackingUri, env });
  try {
    return await loadJudgePromptVersion({ client, uri });
  } finally {
    await client.close();
  }
}
