import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import { renderTemplate, TemplateError, templateVariables } from '../../core/template.js';
import { loadJudgePrompt } from '../../judges/prompt-file.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import { createVerdictSpec, type VerdictType, verdictTypeSchema } from '../../judges/verdict.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import {
  type JudgeScorerOptions,
  judgeOptionsShape,
  judgeScorer,
  parseJudgeFactoryOptions,
  settingsFromYaml,
} from './judge-scorer.js';

/**
 * A custom judge's value type: `boolean`, `string`, `number`, `integer`, `yes_no`, a list of categories
 * (`[good, ok, bad]`), `{type: number, min: 1, max: 5}` for a range, or `{type: object, fields: {…}}`
 * for a verdict of several named fields (the value is then a JSON object).
 */
export const valueTypeSchema = z.union([
  z.enum(['boolean', 'string', 'number', 'integer', 'yes_no']),
  z.array(z.string().min(1)).min(2).describe('Categories: the verdict is one of them'),
  verdictTypeSchema,
]);
export type ValueType = z.infer<typeof valueTypeSchema>;

export const makeJudgeOptionsSchema = z
  .object({
    instructions: z
      .string()
      .trim()
      .min(1)
      .describe(
        'What to judge, using {{ inputs }}, {{ outputs }}, {{ expectations }} (or e.g. {{ inputs.question }})',
      ),
    value_type: valueTypeSchema
      .default('string')
      .describe(
        'boolean | string | number | integer | yes_no | [categories] | {type: number, min, max} | {type: object, fields}; default string, as MLflow',
      ),
    description: z.string().optional().describe('What the judge measures (documentation only)'),
    ...makeJudgeOptionsShape(),
  })
  .strict();

/** The judge options without `prompt:`: a custom judge's prompt is its `instructions`. */
function makeJudgeOptionsShape() {
  const { prompt: _prompt, ...shape } = judgeOptionsShape;
  return shape;
}

export interface MakeJudgeOptions extends Omit<JudgeScorerOptions, 'name' | 'prompt'> {
  /** The feedback name. */
  name: string;
  /** The instructions, using `{{ inputs }}`, `{{ outputs }}`, `{{ expectations }}` (and dotted paths into them). */
  instructions: string;
  /** Default `string` (as MLflow's `make_judge`). */
  valueType?: ValueType;
  description?: string;
}

const ROOTS = ['inputs', 'outputs', 'expectations'] as const;

/**
 * A judge defined by its instructions, like MLflow's `make_judge`: the instructions name what the judge
 * sees with `{{ inputs }}`, `{{ outputs }}` and `{{ expectations }}` (or paths into them,
 * `{{ inputs.question }}`); any other variable is rejected when the judge is made. The verdict has the
 * declared value type and is validated against it (a number outside its range is an invalid verdict).
 * Rows lacking a variable the instructions use get an error feedback and cost no judge call.
 */
export function makeJudge(options: MakeJudgeOptions): Scorer {
  const { valueType, ...rest } = options;
  const { own, common, judges } = parseJudgeFactoryOptions(makeJudgeDefinition, {
    ...rest,
    ...(valueType !== undefined ? { value_type: valueType } : {}),
  });
  return buildJudge(own, common, judges);
}

export const makeJudgeDefinition: ScorerDefinition<typeof makeJudgeOptionsSchema> = {
  type: 'judge',
  aliases: ['make_judge', 'custom_judge'],
  kind: 'llm_judge',
  description:
    'Custom LLM judge: {name, instructions with {{ inputs }}/{{ outputs }}/{{ expectations }}, value_type}',
  needs: 'user-defined',
  options: makeJudgeOptionsSchema,
  create: (options, common, context) => buildJudge(options, common, context.judges),
};

/** `value_type` as a verdict type. */
export function toVerdictType(valueType: ValueType): VerdictType {
  if (Array.isArray(valueType)) return { type: 'categories', categories: [...valueType] };
  if (typeof valueType === 'object') return valueType;
  switch (valueType) {
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: 'number' };
    case 'integer':
      return { type: 'number', integer: true };
    case 'yes_no':
      return { type: 'categories', categories: ['yes', 'no'] };
  }
}

/** The instruction variables, checked: only the three roots (and paths into them); at least one. */
export function checkInstructions(instructions: string, field = 'judge.instructions'): string[] {
  const variables = templateVariables(instructions);
  if (variables.length === 0) {
    throw new ConfigError(
      `${field}: the instructions use no variable; use {{ inputs }}, {{ outputs }} or {{ expectations }}`,
      {
        field,
      },
    );
  }
  for (const variable of variables) {
    const root = variable.split('.')[0] as string;
    if (!(ROOTS as readonly string[]).includes(root)) {
      throw new ConfigError(
        `${field}: unknown variable "{{ ${variable} }}"; a judge's instructions can use ${ROOTS.map((r) => `{{ ${r} }}`).join(', ')} and paths into them (e.g. {{ inputs.question }})`,
        { field },
      );
    }
  }
  return variables;
}

function buildJudge(
  options: z.infer<typeof makeJudgeOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  const name = common.name;
  if (name === undefined) {
    throw new ConfigError(
      'a custom judge needs a name (the feedback name), e.g. {type: judge, name: politeness, ...}',
      {
        field: 'name',
      },
    );
  }
  const variables = checkInstructions(options.instructions, `${name}.instructions`);
  const usesExpectations = variables.some((v) => v === 'expectations' || v.startsWith('expectations.'));
  const frame = loadJudgePrompt('custom_judge');
  const verdict = createVerdictSpec(toVerdictType(options.value_type), name);
  return judgeScorer(
    {
      type: makeJudgeDefinition.type,
      name,
      aggregations: common.aggregations,
      model: options.model,
      settings: settingsFromYaml(options),
      score: async ({ inputs, outputs, expectations }, judge) => {
        if (usesExpectations && Object.keys(expectations).length === 0) {
          return judge.error(
            'MISSING_EXPECTATION',
            `judge "${name}" uses {{ expectations }}, but this row has none`,
          );
        }
        let instructions: string;
        try {
          instructions = renderTemplate(options.instructions, { inputs, outputs, expectations });
        } catch (error) {
          if (!(error instanceof TemplateError)) throw error;
          const root = error.variable.split('.')[0];
          const code =
            root === 'expectations'
              ? 'MISSING_EXPECTATION'
              : root === 'inputs'
                ? 'MISSING_INPUT'
                : 'MISSING_OUTPUT';
          return judge.error(
            code,
            `judge "${name}" uses {{ ${error.variable} }}, which this row does not have`,
          );
        }
        return judge.ask({
          prompt: frame,
          verdict,
          variables: { instructions, result_hint: verdict.resultHint },
        });
      },
    },
    judges,
  );
}
