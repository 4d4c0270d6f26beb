import { z } from 'zod';
import { isPlainObject } from '../../core/json.js';
import type { Scorer, ScorerArgs } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, type JudgeYamlOptions, judgeOptionsShape } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';
import {
  DEFAULT_RUBRIC_THRESHOLD,
  RUBRIC_SCALE,
  rubricErrors,
  rubricFeedbacks,
  rubricPassName,
  rubricPrompt,
} from './rubric.js';

// The shell of the quality judges (relevance_to_query, coherence, fluency, completeness): MLflow-style
// yes/no by default, or a described 1–5 scale with a pass/fail against a threshold (`rubric: true`).

/** The quality judges' eval-file options: every judge option, plus the rubric mode. */
export function qualityJudgeOptionsSchema() {
  return z
    .object({
      ...judgeOptionsShape,
      rubric: z
        .boolean()
        .optional()
        .describe(
          `Score ${RUBRIC_SCALE} on a described scale instead of yes/no, plus <name>/pass (score >= threshold)`,
        ),
      threshold: z
        .number()
        .int()
        .min(1)
        .max(5)
        .optional()
        .describe(
          `Only with rubric: the lowest passing score for <name>/pass (default ${DEFAULT_RUBRIC_THRESHOLD})`,
        ),
    })
    .strict()
    .superRefine((options, context) => {
      if (options.threshold !== undefined && options.rubric !== true) {
        context.addIssue({
          code: 'custom',
          path: ['threshold'],
          message: 'threshold applies to the 1-5 rubric only: set rubric: true, or drop threshold',
        });
      }
    });
}

/** The quality judges' eval-file options, parsed. */
export interface QualityJudgeYamlOptions extends JudgeYamlOptions {
  rubric?: boolean | undefined;
  threshold?: number | undefined;
}

/** The quality judges' library options (`Fluency({rubric: true, threshold: 3})`). */
export interface QualityJudgeOptions extends JudgeScorerOptions {
  /** Score 1–5 on the judge's described scale instead of yes/no; adds the `<name>/pass` feedback. */
  rubric?: boolean;
  /** Only with `rubric`: the lowest passing score, an integer 1–5 (default 4). */
  threshold?: number;
}

/** A row field a quality judge cannot do without. */
export type RequiredField = 'inputs' | 'outputs';

const MISSING: Record<RequiredField, { code: string; what: string }> = {
  inputs: { code: 'MISSING_INPUTS', what: 'inputs (the request)' },
  outputs: { code: 'MISSING_OUTPUTS', what: 'outputs (the response to judge)' },
};

/** Builds one quality judge from its prompt file (`prompts/<type>.yaml`, with a `rubric:` section). */
export function qualityJudge(config: {
  type: string;
  options: QualityJudgeYamlOptions;
  common: CommonScorerOptions;
  judges: JudgeResolver | undefined;
  /** The fields a row must have; the judge is not asked without them. */
  required: readonly RequiredField[];
  /** The prompt's variables, from the row. */
  variables: (args: ScorerArgs) => Record<string, string>;
}): Scorer {
  const rubric = config.options.rubric === true;
  const threshold = config.options.threshold ?? DEFAULT_RUBRIC_THRESHOLD;
  return builtinJudge({
    type: config.type,
    options: config.options,
    common: config.common,
    judges: config.judges,
    ...(rubric
      ? { promptVariant: rubricPrompt, extraFeedbackNames: (name: string) => [rubricPassName(name)] }
      : {}),
    score: async (args, { judge, prompt, verdict }) => {
      for (const field of config.required) {
        if (!isBlank(field, args[field])) continue;
        const { code, what } = MISSING[field];
        const error = judge.error(code, `scorer "${judge.name}" needs ${what}, which the row leaves empty`);
        return rubric ? rubricErrors(error, threshold) : error;
      }
      const answer = await judge.ask({ prompt, verdict, variables: config.variables(args) });
      return rubric ? rubricFeedbacks(answer, threshold) : answer;
    },
  });
}

/** True when a row field holds nothing to judge: absent, an empty object or list, or blank text. */
export function isBlank(field: RequiredField, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value) && Object.keys(value).length === 0) return true;
  // The text the judge would be shown: a single text field, or the last chat message, as itself.
  return (field === 'inputs' ? inputsText(value) : outputsText(value)).trim() === '';
}
