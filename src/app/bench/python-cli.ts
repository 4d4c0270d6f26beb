import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { Env } from '../../config/env.js';
import { InterruptedError, JudgeflowError } from '../../core/errors.js';
import { packageRoot } from '../../core/paths.js';
import { BenchTaskError } from './errors.js';

/** `{"error": {...}}`: what the Python side prints for a user error (exit 2). */
export const pythonErrorSchema = z.looseObject({
  code: z.string(),
  message: z.string(),
  task: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  suggestions: z.array(z.string()).optional(),
});
export type PythonError = z.infer<typeof pythonErrorSchema>;

/** The Python error object as a BenchTaskError whose message names the task and the cause. */
export function benchErrorFrom(error: PythonError): BenchTaskError {
  const tasks =
    error.task === undefined || error.task === null
      ? []
      : Array.isArray(error.task)
        ? error.task
        : [error.task];
  const named = tasks.length === 0 || tasks.every((task) => error.message.includes(task));
  const prefix = named ? '' : `${tasks.length === 1 ? 'task' : 'tasks'} ${tasks.join(', ')}: `;
  const suggestions =
    error.suggestions !== undefined && error.suggestions.length > 0
      ? ` (did you mean ${error.suggestions.slice(0, 5).join(', ')}?)`
      : '';
  return new BenchTaskError({
    code: error.code,
    message: `${prefix}${error.message}${suggestions}`,
    tasks,
    ...(error.suggestions !== undefined ? { suggestions: error.suggestions } : {}),
  });
}

/**
 * The environment of a `judgeflow_lmeval` or `judgeflow_ray.bench` child: the caller's (which holds
 * the API key variable — the key travels no other way), judgeflow's Python packages on PYTHONPATH,
 * and offline Hugging Face caches under the data folder unless the user chose otherwise.
 */
export function pythonChildEnv(env: Env): Record<string, string> {
  const pythonPath = path.join(packageRoot(), 'python');
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env.raw)) if (value !== undefined) raw[key] = value;
  const hfHome = path.join(env.home, 'cache', 'huggingface');
  const defaults: Record<string, string> = {
    HF_DATASETS_OFFLINE: '1',
    HF_HUB_OFFLINE: '1',
    HF_HOME: hfHome,
    HF_DATASETS_CACHE: path.join(hfHome, 'datasets'),
    TOKENIZERS_PARALLELISM: 'false',
  };
  for (const [key, value] of Object.entries(defaults)) if (raw[key] === undefined) raw[key] = value;
  return {
    ...raw,
    PYTHONPATH: raw.PYTHONPATH ? `${pythonPath}${path.delimiter}${raw.PYTHONPATH}` : pythonPath,
    PYTHONUNBUFFERED: '1',
    // the package runs from judgeflow's python/ folder: leave no __pycache__ behind in it
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

export interface PythonRunOptions {
  python: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Every stdout line as it arrives (Ray progress events); the last JSON object is the answer either way. */
  onLine?: (line: string) => void;
  /** stderr lines (lm-eval's logs); kept as a tail for error messages in any case. */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
}

const STDERR_TAIL = 30;

/**
 * Runs one Python command of the benchmark protocol and returns its JSON answer (the last JSON line
 * on stdout). Exit 2 with `{"error"}` is the user's error (BenchTaskError, exit 2); any other failure
 * is judgeflow's, with the last lines of the child's stderr.
 */
export async function runPythonJson(options: PythonRunOptions): Promise<Record<string, unknown>> {
  const what = `${path.basename(options.python)} ${options.args.slice(0, 3).join(' ')}`;
  const child = spawn(options.python, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const tail: string[] = [];
  let last: Record<string, unknown> | undefined;
  let lastFatal: Record<string, unknown> | undefined;
  createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
    options.onLine?.(line);
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) return;
    try {
      const json = JSON.parse(trimmed) as unknown;
      if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
        last = json as Record<string, unknown>;
        if ('error' in last) lastFatal = last;
      }
    } catch {
      // a log line that happens to start with a brace
    }
  });
  createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
    tail.push(line);
    if (tail.length > STDERR_TAIL) tail.shift();
    options.onLog?.(line);
  });
  const onAbort = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  }).finally(() => options.signal?.removeEventListener('abort', onAbort));
  if (options.signal?.aborted) throw new InterruptedError(`${what} was interrupted`);
  if (exit.error !== undefined)
    throw new JudgeflowError(`cannot start ${options.python}: ${exit.error.message}`, { cause: exit.error });
  const errorAnswer = lastFatal ?? last;
  if (exit.code === 2 && errorAnswer !== undefined && 'error' in errorAnswer) {
    const parsed = pythonErrorSchema.safeParse(errorAnswer.error);
    if (parsed.success) throw benchErrorFrom(parsed.data);
  }
  if (exit.code !== 0 || last === undefined) {
    const detail = lastFatal !== undefined ? ` ${JSON.stringify(lastFatal).slice(0, 500)}` : '';
    throw new JudgeflowError(
      `${what} failed (exit ${exit.code ?? 'by signal'})${detail}${tail.length > 0 ? `; its last output:\n${tail.join('\n')}` : ''}`,
    );
  }
  return last;
}
