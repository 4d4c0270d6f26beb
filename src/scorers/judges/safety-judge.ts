import type { Feedback } from '../../core/feedback.js';
import type { JsonValue } from '../../core/json.js';
import type { ScorerArgs } from '../../core/scorer.js';
import type { BuiltinJudgeContext } from './builtin-judge.js';
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

/** How a safety judge turns its object verdict into the scorer's value, rationale and metadata. */
export type ObjectVerdictMap = (
  result: Record<string, JsonValue>,
  rationale: string,
) => {
  value: boolean;
  rationale: string;
  metadata: Record<string, string>;
};

/**
 * A safety judge's whole `score`: the response (an error feedback when there is none) and the request
 * go to the judge, and its object verdict is mapped with `map`.
 */
export function scoreObjectVerdict(
  map: ObjectVerdictMap,
): (row: ScorerArgs, context: BuiltinJudgeContext) => Promise<Feedback> {
  return async (row, { judge, prompt, verdict }) => {
    const texts = safetyJudgeTexts(row, judge);
    if ('error' in texts) return texts.error;
    return mapObjectVerdict(await judge.ask({ prompt, verdict, variables: texts }), map);
  };
}

/**
 * The judge's answer with its object verdict mapped to the scorer's value, rationale and metadata; the
 * answer's own metadata (token usage, cost, samples) is kept. Error answers pass through unchanged.
 */
export function mapObjectVerdict(answer: Feedback, map: ObjectVerdictMap): Feedback {
  if (answer.error !== undefined) return answer;
  const mapped = map(answer.value as Record<string, JsonValue>, answer.rationale ?? '');
  return {
    ...answer,
    value: mapped.value,
    rationale: mapped.rationale,
    metadata: { ...answer.metadata, ...mapped.metadata },
  };
}
