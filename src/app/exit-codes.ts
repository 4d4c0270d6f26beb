import type { EvaluationOutcome } from '../runner/run-evaluation.js';

/**
 * Exit codes (DESIGN.md "Contracts", plus 4 for budgets):
 * 0 success · 1 a quality gate failed (`--fail-under`, `--max-errors`) · 2 invalid input or configuration ·
 * 3 finished, but MLflow writes are still waiting in the spool · 4 stopped early because `--max-cost` or
 * `--max-tokens` was reached (results are partial) · 130 interrupted.
 */
export const EXIT = {
  ok: 0,
  gateFailed: 1,
  invalidInput: 2,
  pendingWrites: 3,
  budgetReached: 4,
  interrupted: 130,
} as const;

export function exitCodeFor(outcome: EvaluationOutcome): number {
  if (outcome.stoppedReason === 'interrupted') return EXIT.interrupted;
  if (!outcome.gatesPassed) return EXIT.gateFailed;
  if (outcome.stoppedReason === 'max_cost' || outcome.stoppedReason === 'max_tokens')
    return EXIT.budgetReached;
  if (outcome.pendingWrites > 0) return EXIT.pendingWrites;
  return EXIT.ok;
}
