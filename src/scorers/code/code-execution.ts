import { z } from 'zod';
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

export const codeExecutionOptionsSchema = z.object(codeOptionsShape).strict();
export type CodeExecutionOptions = z.input<typeof codeExecutionOptionsSchema> & CommonScorerOptions;

/**
 * Runs the generated program (Python or JavaScript) with the row's tests in a sandbox: true when they
 * all ran to completion, false when a test failed, it crashed, or it hit a limit (the rationale says
 * which). A row that cannot be run (no test, no sandbox, no interpreter) is an error feedback.
 */
export function codeExecution(options: CodeExecutionOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(codeExecutionDefinition, options);
  return buildCodeExecution(own, common);
}

export const codeExecutionDefinition: ScorerDefinition<typeof codeExecutionOptionsSchema> = {
  type: 'code_execution',
  kind: 'code',
  description: 'runs the generated code against expectations.test in a sandbox: the tests pass (bool)',
  needs: ['outputs', 'expectations.test'],
  options: codeExecutionOptionsSchema,
  create: (options, common) => buildCodeExecution(options, common),
};

function buildCodeExecution(options: CodeOptions, common: CommonScorerOptions): Scorer {
  const checker = new CodeChecker(options);
  const name = common.name ?? codeExecutionDefinition.type;
  const feedback = feedbackBuilder(name);
  // Not `codeScorer`: that shell is for synchronous scorers.
  return {
    name,
    kind: 'code',
    ...(common.aggregations !== undefined ? { aggregations: [...common.aggregations] } : {}),
    score: async ({ inputs, outputs, expectations, signal }) => {
      const program = rowProgram(options, inputs, expectations, feedback);
      if (isFeedback(program)) return program;
      const selected = selectOutputs(outputs, options.output_key, feedback);
      if (isFeedback(selected)) return selected;
      if (Array.isArray(selected.value)) {
        return feedback.error(
          'INVALID_OUTPUT',
          `scorer "${feedback.name}" runs one program per row, and outputs is a list: use pass_at_k for n samples`,
        );
      }
      try {
        const result = await checker.check(program, textOf(selected.value), signal);
        return feedback.value(result.passed, {
          rationale: result.detail,
          metadata: {
            status: result.status,
            duration_ms: String(result.durationMs),
            language: program.language,
            ...(result.passed || result.stderrTail === '' ? {} : { stderr_tail: result.stderrTail }),
          },
        });
      } catch (error) {
        if (signal.aborted) throw error;
        return notRunFeedback(feedback, error);
      }
    },
  };
}
