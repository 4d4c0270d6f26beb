import type { ScoreResult, Scorer, ScorerArgs } from '../../core/scorer.js';
import { type JudgePrompt, loadJudgePrompt } from '../../judges/prompt-file.js';
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
 * with its verdict type, and the scorer's own rule for filling the prompt from a row.
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
  const prompt = config.promptVariant !== undefined ? config.promptVariant(file) : file;
  const verdict = createVerdictSpec(prompt.verdict ?? YES_NO, config.type);
  const name = config.common.name ?? config.type;
  return judgeScorer(
    {
      type: config.type,
      name,
      ...(config.extraFeedbackNames !== undefined ? { feedbackNames: config.extraFeedbackNames(name) } : {}),
      aggregations: config.common.aggregations,
      model: config.options.model,
      settings: settingsFromYaml(config.options),
      score: async (args, judge) => config.score(args, { judge, prompt, verdict }),
    },
    config.judges,
  );
}
