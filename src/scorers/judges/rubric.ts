import { JudgeflowError } from '../../core/errors.js';
import type { Feedback } from '../../core/feedback.js';
import { type JudgePrompt, PROMPT_NAME_KEY, PROMPT_VERSION_KEY } from '../../judges/prompt-file.js';
import type { VerdictType } from '../../judges/verdict.js';

// The 1–5 rubric mode of the quality judges (`rubric: true`): the judge scores on a scale whose every
// level its prompt file describes, and the scorer reports the score plus a pass/fail against a threshold.

/** The `rubric` metadata value: which scale the score is on. */
export const RUBRIC_SCALE = '1-5';

/** The passing score when the scorer sets no `threshold`. */
export const DEFAULT_RUBRIC_THRESHOLD = 4;

/** What a rubric judge answers: an integer from 1 to 5. */
export const RUBRIC_VERDICT: VerdictType = { type: 'number', min: 1, max: 5, integer: true };

/** The name of the pass/fail feedback next to the score feedback `name`. */
export function rubricPassName(name: string): string {
  return `${name}/pass`;
}

/**
 * The rubric variant of a judge prompt: the file's `rubric.system`, then every level of the scale, then
 * the reply format; the user template is `rubric.user`. Variables are those of the yes/no prompt.
 */
export function rubricPrompt(prompt: JudgePrompt): JudgePrompt {
  const rubric = prompt.rubric;
  if (rubric === undefined) throw new JudgeflowError(`judge prompt ${prompt.name} has no rubric`);
  const scale = rubric.levels.map((description, index) => `${index + 1}: ${description}`).join('\n');
  const system = [
    rubric.system,
    `Score on this scale from 1 to 5; pick the level whose description fits best:\n${scale}`,
    'Reply with one JSON object: "rationale" (one or two short sentences) and then "result": the score, ' +
      'an integer from 1 to 5.',
  ].join('\n\n');
  return {
    name: prompt.name,
    description: prompt.description,
    verdict: RUBRIC_VERDICT,
    system,
    user: rubric.user,
    variables: prompt.variables,
  };
}

/**
 * The judge's answer as the two rubric feedbacks: `<name>` with the score (the mean with several
 * samples) and `<name>/pass`, "yes" when the score reaches the threshold. A failed answer (an error
 * feedback) fails both; token usage stays on the score feedback only, so it is counted once.
 */
export function rubricFeedbacks(answer: Feedback, threshold: number): Feedback[] {
  if (answer.error !== undefined) return rubricErrors(answer, threshold);
  if (typeof answer.value !== 'number') {
    // The verdict schema allows only integers 1..5, so this is a guard, not a path judges take.
    const error = { code: 'JUDGE_OUTPUT_INVALID', message: 'the judge gave no numeric score' };
    return rubricErrors({ ...answer, value: null, error }, threshold);
  }
  const metadata = rubricMetadata(threshold);
  const score = answer.value;
  const passed = score >= threshold;
  const shown = Number.isInteger(score) ? String(score) : score.toFixed(2);
  return [
    { ...answer, metadata: { ...answer.metadata, ...metadata } },
    {
      name: rubricPassName(answer.name),
      value: passed ? 'yes' : 'no',
      source: answer.source,
      rationale:
        `score ${shown} ${passed ? '>=' : '<'} threshold ${threshold}. ${answer.rationale ?? ''}`.trim(),
      metadata: { ...promptKeys(answer), ...metadata },
    },
  ];
}

/** An error feedback as `<name>` and `<name>/pass`: a row with no score has no pass/fail either. */
export function rubricErrors(error: Feedback, threshold: number): Feedback[] {
  const metadata = rubricMetadata(threshold);
  const pass: Feedback = {
    name: rubricPassName(error.name),
    value: null,
    source: error.source,
    metadata: { ...promptKeys(error), ...metadata },
  };
  if (error.error !== undefined) pass.error = { code: error.error.code, message: error.error.message };
  return [{ ...error, metadata: { ...error.metadata, ...metadata } }, pass];
}

function rubricMetadata(threshold: number): Record<string, string> {
  return { threshold: String(threshold), rubric: RUBRIC_SCALE };
}

/** The prompt name and version of the score feedback: the pass/fail came from the same prompt. */
function promptKeys(feedback: Feedback): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const key of [PROMPT_NAME_KEY, PROMPT_VERSION_KEY]) {
    const value = feedback.metadata?.[key];
    if (value !== undefined) keys[key] = value;
  }
  return keys;
}
