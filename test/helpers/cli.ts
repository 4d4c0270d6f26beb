import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CommandIo, RunCliOptions } from '../../src/cli/commands/run.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `judgeflow run --no-mlflow` on the local executor without a progress line: `runCommand`'s options. */
export const noMlflowRun: RunCliOptions = {
  failUnder: [],
  mlflow: false,
  executor: 'local',
  workers: 1,
  workerConcurrency: 4,
  progress: false,
};

export async function tempDir(prefix = 'jf'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `judgeflow-${prefix}-`));
}

/** An in-process CommandIo capturing stdout/stderr, with an environment free of API keys. */
export function captureIo(options: { env?: Record<string, string | undefined>; cwd?: string } = {}): {
  io: CommandIo;
  stdout: () => string;
  stderr: () => string;
} {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => {
    stdout += c;
  });
  err.on('data', (c) => {
    stderr += c;
  });
  const env: Record<string, string | undefined> = { ...process.env, ...(options.env ?? {}) };
  delete env.OPENAI_API_KEY;
  delete env.MLFLOW_TRACKING_URI;
  return {
    io: {
      stdout: out as unknown as NodeJS.WriteStream,
      stderr: err as unknown as NodeJS.WriteStream,
      env,
      cwd: options.cwd ?? process.cwd(),
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/** Spawns the CLI from source (tsx), for what needs a real process: signals, exit codes. */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): ChildProcess {
  const env: Record<string, string | undefined> = { ...process.env, ...(options.env ?? {}) };
  delete env.OPENAI_API_KEY;
  delete env.MLFLOW_TRACKING_URI;
  return spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/bin.ts'), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function waitForExit(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => {
    stdout += c;
  });
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}
