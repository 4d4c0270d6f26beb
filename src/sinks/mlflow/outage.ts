import { MlflowError } from '../../core/errors.js';

/** A failure that another attempt later may fix (server down, overloaded, timing out). */
export function isOutage(error: unknown): boolean {
  return error instanceof MlflowError && error.retryable;
}
