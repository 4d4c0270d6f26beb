import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';

/**
 * A Python package shipped inside judgeflow (`python/<name>/` with a pyproject.toml) and installed
 * into one of its venvs — e.g. the MLflow server plugin `python/judgeflow_mlflow`.
 */
export interface LocalPythonPackage {
  /** The package folder (holding pyproject.toml), relative to judgeflow's package root. */
  dir: string;
  /**
   * A script (relative to `dir`) run with the venv's Python before installing: exit 0 means the venv
   * suits the package; otherwise its stdout's JSON `message` says why, and setup refuses.
   */
  preflight?: string;
  /** The pin file whose versions the preflight checks (named in the error). */
  pins: string;
}

/** Only what goes into the installed package counts: its metadata and sources, not its tests. */
const hashedEntries = ['pyproject.toml', 'README.md', 'src'];
const ignoredNames = new Set(['__pycache__', '.pytest_cache', 'build', 'dist']);
const ignored = (name: string) =>
  ignoredNames.has(name) || name.endsWith('.egg-info') || name.endsWith('.pyc');

async function* packageFiles(root: string, relative: string): AsyncGenerator<string> {
  const full = path.join(root, relative);
  let entries: Dirent[];
  try {
    entries = await readdir(full, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      yield relative;
      return;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (ignored(entry.name)) continue;
    const child = path.join(relative, entry.name);
    if (entry.isDirectory()) yield* packageFiles(root, child);
    else if (entry.isFile()) yield child;
  }
}

/** sha256 over the packages' file names and contents: changes whenever an installed file changes. */
export async function localPackagesHash(
  packages: readonly LocalPythonPackage[],
  root: string = packageRoot(),
): Promise<string> {
  const hash = createHash('sha256');
  for (const pkg of packages) {
    const dir = path.join(root, pkg.dir);
    for (const entry of hashedEntries) {
      for await (const file of packageFiles(dir, entry)) {
        hash.update(`${pkg.dir}/${file.split(path.sep).join('/')}\u0000`);
        hash.update(await readFile(path.join(dir, file)));
        hash.update('\u0000');
      }
    }
  }
  return hash.digest('hex');
}

/**
 * Installs the packages into the venv of `python`: the preflight check first (refusing with a
 * ConfigError naming the pin file when it fails), then a regular (non-editable) `pip install
 * --no-deps` from a temporary copy — the build writes next to its sources, and judgeflow's own folder
 * may be read-only.
 */
export async function installLocalPackages(
  python: string,
  packages: readonly LocalPythonPackage[],
  options: { run: (command: string, args: string[]) => Promise<void>; root?: string },
): Promise<void> {
  const root = options.root ?? packageRoot();
  for (const pkg of packages) {
    const dir = path.join(root, pkg.dir);
    if (pkg.preflight !== undefined) await preflight(python, dir, pkg);
    const copy = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-python-package-'));
    try {
      for (const entry of hashedEntries) {
        await cp(path.join(dir, entry), path.join(copy, entry), {
          recursive: true,
          filter: (source) => !ignored(path.basename(source)),
        }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
      }
      await options.run(python, [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '-q',
        '--no-deps',
        '--force-reinstall',
        copy,
      ]);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }
}

async function preflight(python: string, dir: string, pkg: LocalPythonPackage): Promise<void> {
  const script = path.join(dir, pkg.preflight as string);
  const output = await runChecked(python, [script]);
  if (output.code === 0) return;
  let message = output.stdout.trim() || output.stderr.trim();
  try {
    const verdict = JSON.parse(output.stdout.trim().split('\n').pop() ?? '') as { message?: unknown };
    if (typeof verdict.message === 'string') message = verdict.message;
  } catch {
    // not the script's JSON line: keep its raw output
  }
  throw new ConfigError(
    `cannot install ${pkg.dir} into the venv of ${python}: ${message} (the versions come from ${pkg.pins})`,
    { file: pkg.pins },
  );
}

function runChecked(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
