import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import { excerpt, type FeedbackBuilder } from '../heuristic/support.js';
import { type Interpreter, LANGUAGES, type Language, resolveInterpreter, runtimes } from './runtimes.js';
import { runInSandbox, type SandboxLimits, SandboxUnavailableError } from './sandbox.js';

// What `code_execution` and `pass_at_k` share: their options, how a row becomes a program, and the
// checker that runs programs in the sandbox (interpreters found once, a bound on parallel runs).

export const codeOptionsShape = {
  language: z
    .enum(LANGUAGES)
    .default('python')
    .describe('python or javascript (default python); a row may say otherwise in expectations.language'),
  prompt_key: z
    .string()
    .min(1)
    .optional()
    .describe('Put inputs.<prompt_key> before the code (HumanEval: the prompt the model continued)'),
  test_key: z
    .string()
    .min(1)
    .default('test')
    .describe('The expectation holding the test code (default test)'),
  entry_point_key: z
    .string()
    .min(1)
    .default('entry_point')
    .describe(
      'The expectation naming the function under test; when present, check(<it>) is run after the tests',
    ),
  extract_code: z
    .boolean()
    .default(true)
    .describe(
      'When the output holds a Markdown code block, run the first one in the language (default true)',
    ),
  output_key: z.string().min(1).optional().describe('When outputs is an object, use this field of it'),
  timeout_s: z
    .number()
    .positive()
    .max(3600)
    .default(10)
    .describe('Wall-clock seconds per program (default 10)'),
  cpu_s: z.number().positive().max(3600).optional().describe('CPU seconds per process (default: timeout_s)'),
  memory_mb: z.number().int().min(64).default(1024).describe('Address space per process, MiB (default 1024)'),
  max_output_kb: z
    .number()
    .int()
    .positive()
    .default(1024)
    .describe('stdout and stderr, KiB each (default 1024)'),
  max_processes: z.number().int().min(8).default(64).describe('Processes and threads (default 64)'),
  disk_mb: z.number().int().positive().default(64).describe("The program's folder, MiB (default 64)"),
  max_parallel: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Programs run at once by this scorer (default: the number of CPUs)'),
  python: z
    .string()
    .min(1)
    .default('python3')
    .describe('The Python interpreter, a command or path (default python3)'),
  node: z
    .string()
    .min(1)
    .default('node')
    .describe('The Node.js interpreter, a command or path (default node)'),
};
const codeOptionsSchema = z.object(codeOptionsShape);
export type CodeOptions = z.infer<typeof codeOptionsSchema>;

/** How one program ended. */
export type CheckStatus =
  | 'passed'
  | 'failed'
  | 'timeout'
  | 'cpu_limit'
  | 'memory_limit'
  | 'output_limit'
  | 'file_size_limit';

export interface CheckResult {
  passed: boolean;
  status: CheckStatus;
  /** Why it failed (the exception line, the limit reached); "passed" when it passed. */
  detail: string;
  durationMs: number;
  /** The last KiB of stderr. */
  stderrTail: string;
}

/** The row's test, entry point and language, or an error feedback naming the missing field. */
export interface RowProgram {
  language: Language;
  prefix: string;
  test: string;
  entryPoint: string | undefined;
}

const ENTRY_POINT = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

export function rowProgram(
  options: CodeOptions,
  inputs: Record<string, unknown>,
  expectations: Record<string, unknown>,
  feedback: FeedbackBuilder,
): RowProgram | Feedback {
  const test = expectations[options.test_key];
  if (typeof test !== 'string') {
    return feedback.error(
      'MISSING_EXPECTATION',
      `scorer "${feedback.name}" needs expectations.${options.test_key} (the test code, a string), which this row ${test === undefined || test === null ? 'does not have' : `has as ${typeof test}`}`,
    );
  }
  const entryPoint = expectations[options.entry_point_key];
  if (
    entryPoint !== undefined &&
    entryPoint !== null &&
    (typeof entryPoint !== 'string' || !ENTRY_POINT.test(entryPoint))
  ) {
    return feedback.error(
      'INVALID_EXPECTATION',
      `scorer "${feedback.name}": expectations.${options.entry_point_key} must be a function name, got ${excerpt(String(entryPoint))}`,
    );
  }
  const language = expectations.language ?? options.language;
  if (!LANGUAGES.includes(language as Language)) {
    return feedback.error(
      'INVALID_EXPECTATION',
      `scorer "${feedback.name}": expectations.language must be one of ${LANGUAGES.join(', ')}, got ${excerpt(String(language))}`,
    );
  }
  let prefix = '';
  if (options.prompt_key !== undefined) {
    const prompt = inputs[options.prompt_key];
    if (typeof prompt !== 'string') {
      return feedback.error(
        'MISSING_INPUT',
        `scorer "${feedback.name}" needs inputs.${options.prompt_key} (prompt_key, a string), which this row does not have`,
      );
    }
    prefix = prompt;
  }
  return {
    language: language as Language,
    prefix,
    test,
    entryPoint: (entryPoint as string | null) ?? undefined,
  };
}

const FENCE = /^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)^[ \t]*```/gm;

/**
 * The code in a model's answer: with `extract_code`, the first fenced block tagged with the language
 * (else the first untagged one, else the first one); text without a fenced block is used as it is
 * (a HumanEval completion is a bare continuation).
 */
export function extractCode(text: string, language: Language): string {
  const blocks = [...text.matchAll(FENCE)].map((match) => ({
    tag: (match[1] ?? '').toLowerCase(),
    code: match[2] ?? '',
  }));
  if (blocks.length === 0) return text;
  const tags = runtimes[language].fenceTags;
  return (blocks.find((b) => tags.includes(b.tag)) ?? blocks.find((b) => b.tag === '') ?? blocks[0]!).code;
}

/** Runs programs in the sandbox, at most `max_parallel` at once. */
export class CodeChecker {
  private readonly interpreters = new Map<Language, Promise<Interpreter>>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private readonly parallel: number;
  private readonly limits: SandboxLimits;

  constructor(private readonly options: CodeOptions) {
    this.parallel = options.max_parallel ?? Math.max(1, os.availableParallelism());
    this.limits = {
      timeoutSeconds: options.timeout_s,
      cpuSeconds: options.cpu_s ?? options.timeout_s,
      memoryBytes: options.memory_mb * 2 ** 20,
      outputBytes: options.max_output_kb * 1024,
      processes: options.max_processes,
      diskBytes: options.disk_mb * 2 ** 20,
    };
  }

  /**
   * Runs one program. Throws SandboxUnavailableError when no sandbox can be made and an Error when the
   * interpreter cannot be found: both mean "could not score", never "failed".
   */
  async check(row: RowProgram, code: string, signal?: AbortSignal): Promise<CheckResult> {
    const runtime = runtimes[row.language];
    const interpreter = await this.interpreter(row.language);
    const source = this.options.extract_code ? extractCode(code, row.language) : code;
    const token = randomBytes(16).toString('hex');
    await this.acquire();
    try {
      const result = await runInSandbox({
        files: runtime.files({
          prefix: row.prefix,
          code: source,
          test: row.test,
          entryPoint: row.entryPoint,
        }),
        argv: runtime.argv(interpreter, this.limits.memoryBytes),
        runtimeDirectories: interpreter.directories,
        stdin: `${token}\n`,
        limits: this.limits,
        ...(signal !== undefined ? { signal } : {}),
      });
      if (result.outcome === 'aborted') throw signal?.reason ?? new Error('aborted');
      const passed =
        result.outcome === 'exited' && result.exitCode === 0 && result.stdout.includes(`\n${token}\n`);
      const stderrTail = result.stderr.slice(-1024);
      const base = { durationMs: Math.round(result.durationMs), stderrTail };
      if (passed) return { passed, status: 'passed', detail: 'passed', ...base };
      return { passed, ...this.failure(row.language, result), ...base };
    } finally {
      this.release();
    }
  }

  private failure(
    language: Language,
    result: Awaited<ReturnType<typeof runInSandbox>>,
  ): { status: CheckStatus; detail: string } {
    const runtime = runtimes[language];
    const limits = this.limits;
    switch (result.outcome) {
      case 'timeout':
        return { status: 'timeout', detail: `timed out after ${limits.timeoutSeconds} s (wall clock)` };
      case 'cpu_limit':
        return { status: 'cpu_limit', detail: `exceeded ${limits.cpuSeconds} s of CPU time` };
      case 'output_limit':
        return {
          status: 'output_limit',
          detail: `wrote more than ${limits.outputBytes / 1024} KiB of output`,
        };
      case 'file_size_limit':
        return {
          status: 'file_size_limit',
          detail: `wrote a file larger than ${limits.diskBytes / 2 ** 20} MiB`,
        };
      default:
        break;
    }
    if (runtime.outOfMemory(result.stderr)) {
      return {
        status: 'memory_limit',
        detail: `ran out of memory (limit ${limits.memoryBytes / 2 ** 20} MiB)`,
      };
    }
    const line = runtime.failureLine(result.stderr);
    const ended =
      result.signal !== null
        ? `killed by ${result.signal}`
        : result.exitCode === 0
          ? 'exited before its tests completed'
          : `exit code ${result.exitCode}`;
    return { status: 'failed', detail: line !== undefined ? `${line} (${ended})` : ended };
  }

  private interpreter(language: Language): Promise<Interpreter> {
    let found = this.interpreters.get(language);
    if (found === undefined) {
      const command = language === 'python' ? this.options.python : this.options.node;
      found = resolveInterpreter(command, language);
      this.interpreters.set(language, found);
    }
    return found;
  }

  private async acquire(): Promise<void> {
    if (this.running < this.parallel) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined)
      next(); // the slot passes to the next waiter
    else this.running -= 1;
  }
}

/** The error feedback for a program that could not be run at all. */
export function notRunFeedback(feedback: FeedbackBuilder, error: unknown): Feedback {
  if (error instanceof SandboxUnavailableError) return feedback.error('SANDBOX_UNAVAILABLE', error.message);
  const message = error instanceof Error ? error.message : String(error);
  return feedback.error('INTERPRETER_UNAVAILABLE', `scorer "${feedback.name}": ${message}`);
}
