import { z } from 'zod';
import { ConfigError, errorMessage } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import {
  codeScorer,
  excerpt,
  isFeedback,
  outputKeyOption,
  outputText,
  parseFactoryOptions,
} from './support.js';

export const regexOptionsSchema = z
  .object({
    pattern: z.string().min(1).describe('A JavaScript regular expression (without slashes)'),
    flags: z
      .string()
      .regex(/^[dimsuv]*$/, 'flags may only use d, i, m, s, u, v (g and y make test() stateful)')
      .default('')
      .describe('Regular expression flags, e.g. "i" or "ms"'),
    output_key: outputKeyOption,
  })
  .strict()
  .superRefine((options, context) => {
    // Checked in the schema so `judgeflow validate` names the field before anything runs.
    const problem = compileProblem(options.pattern, options.flags);
    if (problem !== undefined) context.addIssue({ code: 'custom', path: ['pattern'], message: problem });
  });
export type RegexOptions = z.input<typeof regexOptionsSchema> & CommonScorerOptions;

/** True when the outputs match `pattern` (a JavaScript regular expression with `flags`). */
export function regex(options: RegexOptions): Scorer {
  const { own, common } = parseFactoryOptions(regexDefinition, options);
  return buildRegex(own, common);
}

export const regexDefinition: ScorerDefinition<typeof regexOptionsSchema> = {
  type: 'regex',
  kind: 'code',
  description: 'outputs match a JavaScript regular expression (bool)',
  needs: ['outputs'],
  options: regexOptionsSchema,
  create: (options, common) => buildRegex(options, common),
};

function buildRegex(options: z.infer<typeof regexOptionsSchema>, common: CommonScorerOptions): Scorer {
  let compiled: RegExp;
  try {
    compiled = new RegExp(options.pattern, options.flags);
  } catch (caught) {
    throw new ConfigError(`regex.pattern: invalid regular expression: ${errorMessage(caught)}`, {
      field: 'pattern',
      cause: caught,
    });
  }
  return codeScorer(regexDefinition.type, common, ({ outputs }, feedback) => {
    const text = outputText(outputs, options.output_key, feedback);
    if (isFeedback(text)) return text;
    const match = compiled.exec(text);
    return feedback.value(match !== null, {
      rationale:
        match !== null
          ? `matched ${excerpt(match[0])} at ${match.index}`
          : `no match for /${options.pattern}/${options.flags}`,
    });
  });
}

function compileProblem(pattern: string, flags: string): string | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (caught) {
    return `invalid regular expression: ${errorMessage(caught)}`;
  }
}
