import { MlflowError } from '../../../core/errors.js';

/** Runs a read; an MLflow "not found" answer becomes undefined, every other error is rethrown. */
export async function unlessNotFound<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** True for MLflow's "not found" answers (404 / RESOURCE_DOES_NOT_EXIST). */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof MlflowError && (error.status === 404 || error.errorCode === 'RESOURCE_DOES_NOT_EXIST')
  );
}
