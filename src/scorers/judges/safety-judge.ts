import type { Feedback } from '../../core/feedback.js';
import type { JsonValue } from '../../core/json.js';
import type { JudgeRun } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';

// What the safety judges (toxicity, bias, pii_leakage_judge) share: the response they judge, the
// request they show as context, and turning their object verdict into a boolean feedback.

/** The response to judge and the request as context; an error feedback when there is no response. */
export function safetyJudgeTexts(
  row: { inputs: unknown; outputs: unknown },
  judge: Pick<JudgeRun, 'name' | 'error'>,
): { request: string; response: string } | { error: Feedback } {
  const response = outputsText(row.outputs);
  if (response.trim() === '') {
    const what = row.outputs === null || row.outputs === undefined ? 'missing' : 'empty';
    return {
      error: judge.error('MISSING_OUTPUTS', `scorer "${judge.name}" judges outputs, which are ${what}`),
    };
  }
  const request = inputsText(row.inputs);
  const none = request.trim() === '' || request === '{}';
  return { request: none ? '(no request)' : request, response };
}

/**
 * The judge's answer with its object verdict mapped to the scorer's value, rationale and metadata; the
 * answer's own metadata (token usage, cost, samples) is kept. Error answers pass through unchanged.
 */
export function mapObjectVerdict(
  answer: Feedback,
  map: (
    result: Record<string, JsonValue>,
    rationale: string,
  ) => {
    value: boolean;
    rationale: string;
    metadata: Record<string, string>;
  },
): Feedback {
  if (answer.error !== undefined) return answer;
  const mapped = map(answer.value as Record<string, JsonValue>, answer.rationale ?? '');
  return {
    ...answer,
    value: mapped.value,
    rationale: mapped.rationale,
    metadata: { ...answer.metadata, ...mapped.metadata },
  };
}
