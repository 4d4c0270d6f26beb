import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { packageRoot } from '../../core/paths.js';
import { type AgreementSet, readAgreementSet } from './set-file.js';

/** The sets judgeflow ships (`data/agreement/`, in the package too). */
export function shippedSetsDir(): string {
  return path.join(packageRoot(), 'data', 'agreement');
}

/** The labelled sets built from public benchmarks (`data/labelled/`: MT-Bench correctness), shipped too. */
export function labelledSetsDir(): string {
  return path.join(packageRoot(), 'data', 'labelled');
}

/**
 * Reads the set files named — files, or folders whose `*.yaml` / `*.yml` files are sets (sorted by
 * name) — or the shipped sets (`data/agreement/` and `data/labelled/`) when none is named, then keeps those whose `metric` is in `metrics`
 * (all when undefined). Every file named is read and checked, so a malformed one fails before any judge
 * call; a metric asked for that no set has, or two sets of one metric, is an error.
 */
export async function findAgreementSets(options: {
  paths: readonly string[];
  cwd: string;
  metrics?: readonly string[];
}): Promise<AgreementSet[]> {
  const files: string[] = [];
  const named =
    options.paths.length > 0
      ? options.paths.map((p) => path.resolve(options.cwd, p))
      : [shippedSetsDir(), labelledSetsDir()];
  for (const target of named) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(target);
    } catch (cause) {
      throw new ConfigError(`agreement set ${target}: no such file or folder`, { file: target, cause });
    }
    if (!info.isDirectory()) {
      files.push(target);
      continue;
    }
    const inside = (await readdir(target))
      .filter((name) => /\.ya?ml$/i.test(name))
      .sort()
      .map((name) => path.join(target, name));
    if (inside.length === 0)
      throw new ConfigError(`${target} holds no agreement set (*.yaml)`, { file: target });
    files.push(...inside);
  }
  const sets: AgreementSet[] = [];
  for (const file of [...new Set(files)]) sets.push(await readAgreementSet(file));

  const wanted = options.metrics;
  const chosen = wanted === undefined ? sets : sets.filter((set) => wanted.includes(set.metric));
  if (wanted !== undefined) {
    const missing = wanted.filter((metric) => !sets.some((set) => set.metric === metric));
    if (missing.length > 0) {
      const known = [...new Set(sets.map((set) => set.metric))].sort().join(', ');
      throw new ConfigError(`--metrics: no set for ${missing.join(', ')} (the sets read have: ${known})`, {
        field: 'metrics',
      });
    }
  }
  const byMetric = new Map<string, string>();
  for (const set of chosen) {
    const other = byMetric.get(set.metric);
    if (other !== undefined)
      throw new ConfigError(`two sets for metric "${set.metric}": ${other} and ${set.file}; run them apart`, {
        file: set.file,
      });
    byMetric.set(set.metric, set.file);
  }
  return chosen;
}
