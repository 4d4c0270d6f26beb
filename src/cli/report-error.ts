import { EXIT } from '../app/exit-codes.js';
import { readEnv } from '../config/env.js';
import { redactorFor } from '../config/secrets.js';
import { JudgeflowError } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';

/** Exit code of an error nobody classified: a bug in judgeflow, never "the quality gate failed" (1). */
export const INTERNAL_ERROR_EXIT = EXIT.internalError;

export interface ReportErrorOptions {
  /** Reads `JUDGEFLOW_DEBUG` (set by `--debug`) and the secrets to scrub; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Scrubs the printed text; default: one knowing the environment's secrets. */
  redactor?: Redactor;
}

/**
 * Prints an error the way users should see it and returns the exit code it maps to. A typed error is
 * one line (its message names what to fix); anything else is a bug: one line, a hint to report it,
 * exit 70. `--debug` (or `JUDGEFLOW_DEBUG=1`) adds the stack trace and the chain of causes. Every line
 * is scrubbed of secrets first.
 */
export function reportError(
  error: unknown,
  stream: { write(text: string): unknown } = process.stderr,
  options: ReportErrorOptions = {},
): number {
  const env = readEnv(options.env ?? process.env);
  const redactor = options.redactor ?? redactorFor(env);
  const print = (text: string): void => {
    stream.write(`${redactor.text(text)}\n`);
  };
  const expected = error instanceof JudgeflowError;
  if (expected) print(`judgeflow: ${error.message}`);
  else {
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    print(`judgeflow: internal error: ${oneLine(what)}`);
    print(
      `judgeflow: this is a bug in judgeflow (exit ${INTERNAL_ERROR_EXIT}); please report it with the command you ran${
        env.debug ? '' : ' and the output of the same command with --debug (stack trace)'
      }`,
    );
  }
  if (env.debug) for (const line of stackLines(error)) print(line);
  return expected ? error.exitCode : INTERNAL_ERROR_EXIT;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat;
}

/** The stack of the error and of each cause, for `--debug`. */
function stackLines(error: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const prefix = depth === 0 ? '' : 'caused by: ';
    if (current instanceof Error) {
      lines.push(`${prefix}${current.stack ?? `${current.name}: ${current.message}`}`);
      current = current.cause;
    } else {
      lines.push(`${prefix}${String(current)}`);
      break;
    }
  }
  return lines;
}
