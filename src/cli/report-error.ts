import { JudgeflowError } from '../core/errors.js';

/** Prints an error the way users should see it and returns the exit code it maps to. */
export function reportError(error: unknown, stream: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof JudgeflowError) {
    stream.write(`judgeflow: ${error.message}\n`);
    return error.exitCode;
  }
  stream.write(
    `judgeflow: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}
