import { Ajv } from 'ajv';
import { isPlainObject } from '../../core/json.js';
import type { ChatMessage } from '../../core/judge.js';
import { type JudgePrompt, loadJudgePrompt, renderJudgePrompt } from '../../judges/prompt-file.js';
import { parseWholeJson, type VerdictSpec } from '../../judges/verdict.js';
import { bulletList, inputsText, outputsText } from '../../scorers/judges/judge-text.js';

/** What the judge answers about one order: which position won. */
export type PositionWinner = '1' | '2' | 'tie';

/** The default meaning of "better" when the caller gives no `criteria`. */
export const DEFAULT_CRITERIA =
  'the response that answers the question more correctly, completely and helpfully, and follows its ' +
  'instructions more closely.';

const WINNERS: readonly PositionWinner[] = ['1', '2', 'tie'];

/**
 * The pairwise verdict: `{rationale, winner}`, both required, no other keys (OpenAI strict mode,
 * llama.cpp and vLLM grammars). A `VerdictSpec`, so the shared `callJudge` does the call, the
 * whole-reply parse and the one repair attempt exactly as for every other judge.
 */
export function pairwiseVerdictSpec(): VerdictSpec {
  const schema: Record<string, unknown> = {
    type: 'object',
    properties: {
      // Reasoning before the decision, as in every judge's schema.
      rationale: { type: 'string', description: 'Short comparison of the two responses, written first.' },
      winner: { type: 'string', enum: [...WINNERS] },
    },
    required: ['rationale', 'winner'],
    additionalProperties: false,
  };
  // Replies are read as the other judges' are: extra keys ignored, an `error` key a failure.
  const validate = new Ajv({ allErrors: true, strict: false }).compile({
    ...schema,
    additionalProperties: true,
  });
  return {
    type: { type: 'categories', categories: [...WINNERS] },
    schemaName: 'pairwise',
    schema,
    resultHint: 'exactly one of "1", "2", "tie"',
    parse(text) {
      const json = parseWholeJson(text);
      if (!json.ok) return json;
      if (!validate(json.value)) {
        const first = validate.errors?.[0];
        const where = first?.instancePath ? first.instancePath.slice(1) : 'the object';
        return {
          ok: false,
          problem: `the reply does not match the schema: ${where} ${first?.message ?? 'is invalid'}`,
        };
      }
      const object = json.value as { rationale: string; winner: PositionWinner; error?: unknown };
      if (object.error !== undefined && object.error !== null) {
        return {
          ok: false,
          problem: `the judge reported an error: ${JSON.stringify(object.error).slice(0, 200)}`,
        };
      }
      return { ok: true, verdict: { value: object.winner, rationale: object.rationale } };
    },
  };
}

/** The pairwise prompt file (`src/judges/prompts/pairwise.yaml`), read once per `judgePairs` call. */
export function loadPairwisePrompt(): JudgePrompt {
  return loadJudgePrompt('pairwise');
}

/** One order of one pair, as the judge sees it: no row id, no model name, no A/B. */
export interface OrderedPair {
  inputs: unknown;
  expectations?: unknown;
  /** Shown as Response 1. */
  first: unknown;
  /** Shown as Response 2. */
  second: unknown;
}

/**
 * The chat messages for one order. Rows without expectations get the prompt without its `<reference>`
 * section (reference-free judging); rows with them get reference-guided judging.
 */
export function pairwiseMessages(
  prompt: JudgePrompt,
  pair: OrderedPair,
  criteria: string = DEFAULT_CRITERIA,
): ChatMessage[] {
  const reference = referenceText(pair.expectations);
  const template =
    reference === undefined ? { ...prompt, user: withoutSection(prompt.user, 'reference') } : prompt;
  const variables: Record<string, string> = {
    criteria,
    request: inputsText(pair.inputs),
    response_1: outputsText(pair.first),
    response_2: outputsText(pair.second),
  };
  if (reference !== undefined) variables.reference = reference;
  return renderJudgePrompt(template, variables);
}

/** `<name> … </name>` and the line break after it taken out of a template. */
function withoutSection(template: string, name: string): string {
  return template.replace(new RegExp(`<${name}>[\\s\\S]*?</${name}>\\n?`), '');
}

/**
 * Expectations as reference text, in the words the correctness judge uses: the expected response, the
 * expected facts, guidelines, and any other keys as JSON. Undefined when there is nothing to show.
 */
export function referenceText(expectations: unknown): string | undefined {
  if (expectations === undefined || expectations === null) return undefined;
  if (typeof expectations === 'string') return expectations.trim() === '' ? undefined : expectations;
  if (!isPlainObject(expectations)) return JSON.stringify(expectations);
  const { expected_response: response, expected_facts: facts, guidelines, ...rest } = expectations;
  const parts: string[] = [];
  if (response !== undefined && response !== null) {
    parts.push(`Expected response:\n${typeof response === 'string' ? response : JSON.stringify(response)}`);
  }
  const factList = bulletList(facts);
  if (factList !== undefined)
    parts.push(`Expected facts (a correct response states every one):\n${factList}`);
  const guidelineList = bulletList(guidelines);
  if (guidelineList !== undefined) parts.push(`Guidelines a response should follow:\n${guidelineList}`);
  const others = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  if (Object.keys(others).length > 0) parts.push(`Other expectations:\n${JSON.stringify(others)}`);
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}
