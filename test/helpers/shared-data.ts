import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';

/**
 * A folder of `../shared/data` (real public evaluation data beside the repository) and, when the file
 * that shows it is there is absent — a clone elsewhere — why the tests that read it are skipped.
 */
export function sharedData(folder: string, marker: string): { dir: string; missing: string | undefined } {
  const dir = path.resolve(repoRoot, '..', 'shared', 'data', folder);
  const missing = existsSync(path.join(dir, marker))
    ? undefined
    : `../shared/data/${folder} not found (${path.join(dir, marker)}): skipped`;
  return { dir, missing };
}
