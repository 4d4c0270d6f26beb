import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let cached: string | undefined;

/**
 * The Python of the parity venv (reference implementations the metrics are checked against), built
 * by `scripts/parity-venv.sh` from `python/requirements/parity/*.txt` when missing. `scripts/test.sh`
 * builds it before the tests run, so here it is normally only looked up.
 */
export function parityPython(): string {
  cached ??= execFileSync('bash', [path.join(root, 'scripts/parity-venv.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return cached;
}

/**
 * Runs a Python script (a path relative to the repository, or `-c` code) in the parity venv with
 * `input` on stdin, and parses its stdout as JSON.
 */
export function runParity<T = unknown>(script: string, args: readonly string[] = [], input = ''): T {
  const argv = script === '-c' ? ['-c', ...args] : [path.join(root, script), ...args];
  const out = execFileSync(parityPython(), argv, {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, PYTHONHASHSEED: '0', PYTHONDONTWRITEBYTECODE: '1' },
  });
  return JSON.parse(out) as T;
}
