// IFEval's strict and loose evaluation of one response (lm_eval/tasks/ifeval/utils.py:
// test_instruction_following_strict / _loose), over the checkers in instructions.ts.
import {
  type Check,
  INSTRUCTIONS,
  InstructionArgumentError,
  type InstructionKwargs,
} from './instructions.js';
import { pyStrip } from './python-text.js';

export interface IfevalInstruction {
  id: string;
  kwargs: InstructionKwargs;
}

export interface IfevalVerdict {
  /** Per instruction, in order: followed by the response as it is. */
  strict: boolean[];
  /** Per instruction: followed by the response or one of its seven loose variants. */
  loose: boolean[];
}

/** The reference drops kwargs whose value is falsy (None, 0, "", []) before building an instruction. */
function presentKwargs(kwargs: InstructionKwargs): InstructionKwargs {
  return Object.fromEntries(
    Object.entries(kwargs).filter(
      ([, value]) =>
        value !== null &&
        value !== undefined &&
        value !== false &&
        value !== 0 &&
        value !== '' &&
        !(Array.isArray(value) && value.length === 0),
    ),
  );
}

/** Builds the checker of each instruction; an unknown id or a missing kwarg throws InstructionArgumentError. */
export function buildChecks(instructions: readonly IfevalInstruction[], prompt: string): Check[] {
  return instructions.map(({ id, kwargs }, index) => {
    const build = INSTRUCTIONS[id];
    if (build === undefined) {
      throw new InstructionArgumentError(`instruction ${index} ("${id}") is not an IFEval instruction id`);
    }
    try {
      return build(presentKwargs(kwargs), prompt);
    } catch (caught) {
      if (caught instanceof InstructionArgumentError) {
        throw new InstructionArgumentError(`instruction ${index} ("${id}"): ${caught.message}`);
      }
      throw caught;
    }
  });
}

/** The response variants loose mode accepts: first and/or last line removed, asterisks removed. */
export function looseVariants(response: string): string[] {
  const lines = response.split('\n');
  const withoutFirst = pyStrip(lines.slice(1).join('\n'));
  const withoutLast = pyStrip(lines.slice(0, -1).join('\n'));
  const withoutBoth = pyStrip(lines.slice(1, -1).join('\n'));
  const noStars = (text: string): string => text.replaceAll('*', '');
  return [
    response,
    noStars(response),
    withoutFirst,
    withoutLast,
    withoutBoth,
    noStars(withoutFirst),
    noStars(withoutLast),
    noStars(withoutBoth),
  ];
}

/** Strict and loose verdicts of every instruction for one response. */
export function evaluateResponse(checks: readonly Check[], response: string): IfevalVerdict {
  const follows = (check: Check, text: string): boolean => pyStrip(text) !== '' && check(text);
  const variants = looseVariants(response);
  return {
    strict: checks.map((check) => follows(check, response)),
    loose: checks.map((check) => variants.some((variant) => follows(check, variant))),
  };
}
