import type { EvaluationOutcome } from '../runner/run-evaluation.js';

/**
 * Every exit code judgeflow uses, in one place. The README's "Exit codes" table, the
 * `--help` text and the error classes (`src/core/errors.ts`: ConfigError/DatasetError/
 * MissingComponentError 2, InfrastructureError 5, any other JudgeflowError 70) agree with it — a unit
 * test checks each of them against this list.
 */
export const EXIT = {
  ok: 0,
  gateFailed: 1,
  invalidInput: 2,
  pendingWrites: 3,
  budgetReached: 4,
  infrastructure: 5,
  internalError: 70,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each code means, for `--help` and the README. */
export const EXIT_CODE_MEANINGS: ReadonlyArray<{ code: ExitCode; meaning: string }> = [
  { code: EXIT.ok, meaning: 'success: the run finished and every quality gate passed' },
  {
    code: EXIT.gateFailed,
    meaning:
      'a quality gate failed (--fail-under, --max-errors, compare --fail-if-worse, a scorer with no value unless allowed)',
  },
  {
    code: EXIT.invalidInput,
    meaning: 'invalid input or configuration (eval file, dataset row, flag, --out); nothing is written',
  },
  {
    code: EXIT.pendingWrites,
    meaning: 'finished, but MLflow writes wait in the spool (judgeflow mlflow sync DIR replays them)',
  },
  { code: EXIT.budgetReached, meaning: 'stopped early at --max-cost / --max-tokens (partial results)' },
  {
    code: EXIT.infrastructure,
    meaning:
      'infrastructure failure: a Ray cluster, the model or judge endpoint at start, or an MLflow server was unreachable after retries',
  },
  {
    code: EXIT.internalError,
    meaning: 'unexpected internal error (a bug: please report it; --debug prints the stack trace)',
  },
  { code: EXIT.interrupted, meaning: 'interrupted (Ctrl-C); results so far are kept' },
];

/** The exit-code table as `--help` prints it. */
export function exitCodesHelp(): string {
  const lines = EXIT_CODE_MEANINGS.map(({ code, meaning }) => `  ${String(code).padStart(3)}  ${meaning}`);
  return `\nExit codes:\n${lines.join('\n')}\n`;
}

export function exitCodeFor(outcome: EvaluationOutcome): number {
  if (outcome.stoppedReason === 'interrupted') return EXIT.interrupted;
  if (!outcome.gatesPassed) return EXIT.gateFailed;
  if (outcome.stoppedReason === 'max_cost' || outcome.stoppedReason === 'max_tokens')
    return EXIT.budgetReached;
  if (outcome.pendingWrites > 0) return EXIT.pendingWrites;
  return EXIT.ok;
}
