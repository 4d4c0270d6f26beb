import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureJudgeModel } from '../../../src/setup/judge-model.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The data folder tests use: `JUDGEFLOW_HOME`, else `<repo>/.judgeflow` (filled by `judgeflow setup`). */
export function testHome(): string {
  return process.env.JUDGEFLOW_HOME ?? path.join(repo, '.judgeflow');
}

/** The local judge model for tests: `JUDGEFLOW_JUDGE_MODEL`, else the one setup installs (installed now if missing). */
export async function testJudgeModelPath(): Promise<string> {
  const configured = process.env.JUDGEFLOW_JUDGE_MODEL;
  if (configured !== undefined && configured !== '') return path.resolve(configured);
  return ensureJudgeModel(testHome(), { log: (line) => process.stderr.write(`[judge-model] ${line}\n`) });
}

/**
 * Starts `serveJudge` (what `judgeflow serve-judge` runs) in its own Node process over the local GGUF
 * model, on a free port on 127.0.0.1, and waits until /health says the model is loaded. One thread:
 * the tests share two cores with MLflow and Ray.
 */
export async function startJudgeServer(): Promise<{
  baseUrl: string;
  modelPath: string;
  stop: () => Promise<void>;
}> {
  const modelPath = await testJudgeModelPath();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(repo, 'src/judges/serve-main.ts'),
      '--model',
      modelPath,
      '--port',
      '0',
      '--threads',
      '1',
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = () => stopChild(child);
  try {
    const baseUrl = await listeningUrl(child, () => stderr);
    await waitForHealth(baseUrl.replace(/\/v1$/, ''), () => stderr, child);
    return { baseUrl, modelPath, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function listeningUrl(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`serve-judge did not start within 60 s:\n${stderr()}`)),
      60_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\S+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve-judge exited with ${code}:\n${stderr()}`));
    });
  });
}

async function waitForHealth(url: string, stderr: () => string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve-judge exited with ${child.exitCode}:\n${stderr()}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`serve-judge did not load its model within 180 s:\n${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
