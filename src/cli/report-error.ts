import { JudgeflowError } from '../core/errors.js';

/** Exit code of an error nobody classified: a bug in judgeflow, never "the quality gate failed" (1). */
export const INTERNAL_ERROR_EXIT = 70;

/** Prints an error the way users should see it and returns the exit code it maps to. */
export function reportError(error: unknown, stream: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof JudgeflowError) {
    stream.write(`judgeflow: ${error.message}\n`);
    return error.exitCode;
  }
  stream.write(
    `judgeflow: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return INTERNAL_ERROR_EXIT;
}
