import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import { isPlainObject } from '../../core/json.js';
import type { Scorer } from '../../core/scorer.js';
import {
  codeScorer,
  type FeedbackBuilder,
  isFeedback,
  outputKeyOption,
  outputText,
  parseFactoryOptions,
} from '../heuristic/support.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { buildChecks, evaluateResponse, type IfevalInstruction } from './evaluate.js';
import { InstructionArgumentError } from './instructions.js';

export const ifevalOptionsSchema = z
  .object({
    output_key: outputKeyOption,
  })
  .strict();
export type IfevalOptions = z.input<typeof ifevalOptionsSchema> & CommonScorerOptions;

/** The feedbacks a row gets besides `<name>` (prompt-level strict): their means are IFEval's other accuracies. */
export const IFEVAL_FEEDBACKS = ['prompt_loose', 'instruction_strict', 'instruction_loose'] as const;

/**
 * IFEval (Zhou et al., 2023): does the response follow the row's verifiable instructions? The ids
 * (`instruction_id_list`) and their arguments (`kwargs`, a parallel list of objects) are read from
 * `expectations`, else from `inputs`. Verdicts are those of lm-evaluation-harness's ifeval task.
 * Feedbacks: `<name>` (prompt-level strict: every instruction followed; the paper's headline figure)
 * and `<name>/prompt_loose` (bool), and one `<name>/instruction_strict` and `<name>/instruction_loose`
 * per instruction (bool, metadata `instruction_id`), so the run's `/mean` metrics are the prompt-level
 * and instruction-level accuracies.
 */
export function ifeval(options: IfevalOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(ifevalDefinition, options);
  return buildIfeval(own, common);
}

export const ifevalDefinition: ScorerDefinition<typeof ifevalOptionsSchema> = {
  type: 'ifeval',
  kind: 'code',
  description:
    "IFEval's verifiable instructions (expectations or inputs .instruction_id_list, .kwargs): prompt- and instruction-level, strict and loose (bool)",
  needs: ['outputs', 'expectations.instruction_id_list', 'expectations.kwargs'],
  options: ifevalOptionsSchema,
  create: (options, common) => buildIfeval(options, common),
};

function buildIfeval(options: z.infer<typeof ifevalOptionsSchema>, common: CommonScorerOptions): Scorer {
  const base = codeScorer(ifevalDefinition.type, common, ({ inputs, outputs, expectations }, feedback) => {
    // every feedback keeps the scorer as its source (so the scorer's aggregations apply to all four)
    const named = (suffix: string): FeedbackBuilder =>
      suffix === 'prompt_strict'
        ? feedback
        : {
            name: `${feedback.name}/${suffix}`,
            value: (value, details) => ({
              ...feedback.value(value, details),
              name: `${feedback.name}/${suffix}`,
            }),
            error: (code, message) => ({
              ...feedback.error(code, message),
              name: `${feedback.name}/${suffix}`,
            }),
          };
    const instructions = readInstructions(inputs, expectations, feedback.name);
    if (typeof instructions === 'string')
      return named('prompt_strict').error('MISSING_EXPECTATION', instructions);
    const response = outputText(outputs, options.output_key, named('prompt_strict'));
    if (isFeedback(response)) return response;
    const prompt = typeof inputs.prompt === 'string' ? inputs.prompt : '';
    let checks: ReturnType<typeof buildChecks>;
    try {
      checks = buildChecks(instructions, prompt);
    } catch (caught) {
      if (!(caught instanceof InstructionArgumentError)) throw caught;
      return named('prompt_strict').error(
        'INVALID_INSTRUCTION',
        `scorer "${feedback.name}": ${caught.message}`,
      );
    }
    const verdict = evaluateResponse(checks, response);
    const out: Feedback[] = [];
    for (const mode of ['strict', 'loose'] as const) {
      const missed = instructions.filter((_, index) => !verdict[mode][index]).map(({ id }) => id);
      out.push(
        named(`prompt_${mode}`).value(missed.length === 0, {
          rationale:
            missed.length === 0
              ? `all ${instructions.length} instruction${instructions.length === 1 ? '' : 's'} followed (${mode})`
              : `not followed (${mode}): ${missed.join(', ')}`,
        }),
      );
    }
    for (const mode of ['strict', 'loose'] as const) {
      instructions.forEach(({ id }, index) => {
        out.push(
          named(`instruction_${mode}`).value(verdict[mode][index]!, {
            metadata: { instruction_id: id, instruction_index: String(index) },
          }),
        );
      });
    }
    return out;
  });
  return { ...base, feedbackNames: IFEVAL_FEEDBACKS.map((suffix) => `${base.name}/${suffix}`) };
}

/** The row's instructions, or a message naming the field that is missing or malformed. */
function readInstructions(
  inputs: Record<string, unknown>,
  expectations: Record<string, unknown>,
  name: string,
): IfevalInstruction[] | string {
  const where = expectations.instruction_id_list !== undefined ? 'expectations' : 'inputs';
  const source = where === 'expectations' ? expectations : inputs;
  const ids = source.instruction_id_list;
  if (ids === undefined || ids === null) {
    return `scorer "${name}" needs expectations.instruction_id_list (or inputs.instruction_id_list), which this row does not have`;
  }
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    return `scorer "${name}": ${where}.instruction_id_list must be a list of instruction ids (strings)`;
  }
  const kwargs = source.kwargs ?? [];
  if (!Array.isArray(kwargs) || (kwargs.length !== 0 && kwargs.length !== ids.length)) {
    return `scorer "${name}": ${where}.kwargs must be a list with one object per instruction (${ids.length})`;
  }
  const instructions: IfevalInstruction[] = [];
  for (const [index, id] of ids.entries()) {
    const args: unknown = kwargs[index] ?? {};
    if (!isPlainObject(args)) return `scorer "${name}": ${where}.kwargs[${index}] must be an object`;
    instructions.push({ id: id as string, kwargs: args });
  }
  return instructions;
}
