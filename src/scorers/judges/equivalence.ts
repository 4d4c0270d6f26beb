import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { outputsText } from './judge-text.js';

export const equivalenceOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's Equivalence: "yes" when the response means the same as `expectations.expected_response`.
 * As in MLflow, numbers and booleans are compared exactly and identical texts match without asking the
 * judge (those feedbacks have source CODE, since no judge was involved). A row without an expected
 * response is an error feedback (MISSING_EXPECTATION).
 */
export function Equivalence(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(equivalenceDefinition, options);
  return buildEquivalence(own, common, judges);
}

export const equivalenceDefinition: ScorerDefinition<typeof equivalenceOptionsSchema> = {
  type: 'equivalence',
  kind: 'llm_judge',
  description: 'LLM judge: the response means the same as expectations.expected_response (yes/no)',
  needs: ['outputs', 'expectations.expected_response'],
  options: equivalenceOptionsSchema,
  create: (options, common, context) => buildEquivalence(options, common, context.judges),
};

function buildEquivalence(
  options: z.infer<typeof equivalenceOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: equivalenceDefinition.type,
    options,
    common,
    judges,
    score: ({ outputs, expectations }, { judge, prompt, verdict }) => {
      const expected = expectations.expected_response;
      if (expected === undefined || expected === null) {
        return judge.error(
          'MISSING_EXPECTATION',
          `scorer "${judge.name}" needs expectations.expected_response, which this row does not have`,
        );
      }
      const exact = (value: 'yes' | 'no', rationale: string): Feedback => ({
        name: judge.name,
        value,
        rationale,
        source: { type: 'CODE', id: judge.name },
      });
      if (isScalar(outputs) && isScalar(expected)) {
        const same =
          Math.abs(Number(outputs) - Number(expected)) <= 1e-9 * Math.max(1, Math.abs(Number(expected)));
        return same
          ? exact('yes', 'Exact numerical match')
          : exact('no', `Values do not match: ${String(outputs)} != ${String(expected)}`);
      }
      const response = outputsText(outputs);
      const expectedText = typeof expected === 'string' ? expected : JSON.stringify(expected);
      if (response === expectedText) return exact('yes', 'Exact string match');
      return judge.ask({ prompt, verdict, variables: { response, expected_response: expectedText } });
    },
  });
}

function isScalar(value: unknown): value is number | boolean {
  return typeof value === 'number' || typeof value === 'boolean';
}
