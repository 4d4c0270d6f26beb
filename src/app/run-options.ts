import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { EvalFile } from '../config/schema.js';
import { ConfigError, errorMessage } from '../core/errors.js';

/** What the command line (or a caller of `runEvalFile`) changes in the eval file's settings. */
export interface RunOverrides {
  out?: string;
  concurrency?: number;
  limit?: number;
  sample?: number;
  seed?: number;
  failUnder?: string[];
  maxErrors?: number;
  /** `--allow-no-values`: true (all scorers) or names, added to the eval file's `allow_no_values`. */
  allowNoValues?: boolean | string[];
  maxCost?: number;
  maxTokens?: number;
  experiment?: string;
  runName?: string;
  /** Overrides `judge.model` (an MLflow-style URI). */
  judgeModel?: string;
  /** Overrides `mlflow.traces` (`all`, `failed`, `sample:<fraction>`). */
  mlflowTraces?: string;
}

/** Where rows run: this process, or a Ray cluster (an address, or — without one — a local head). */
export type ExecutorChoice =
  | { kind: 'local' }
  | { kind: 'ray'; address?: string; workers: number; workerConcurrency: number; python?: string };

/** Applies command-line overrides to the eval file's values. */
export function applyOverrides(config: EvalFile, overrides: RunOverrides): EvalFile {
  const merged: EvalFile = { ...config };
  if (overrides.concurrency !== undefined) merged.concurrency = overrides.concurrency;
  if (overrides.limit !== undefined) merged.limit = overrides.limit;
  if (overrides.sample !== undefined) merged.sample = overrides.sample;
  if (overrides.seed !== undefined) merged.seed = overrides.seed;
  if (overrides.maxErrors !== undefined) merged.max_errors = overrides.maxErrors;
  if (overrides.allowNoValues !== undefined) {
    const file = merged.allow_no_values;
    merged.allow_no_values =
      overrides.allowNoValues === true || file === true
        ? true
        : [
            ...new Set([
              ...(Array.isArray(file) ? file : []),
              ...(Array.isArray(overrides.allowNoValues) ? overrides.allowNoValues : []),
            ]),
          ];
  }
  if (overrides.maxCost !== undefined) merged.max_cost = overrides.maxCost;
  if (overrides.maxTokens !== undefined) merged.max_tokens = overrides.maxTokens;
  if (overrides.experiment !== undefined) merged.experiment = overrides.experiment;
  if (overrides.runName !== undefined) merged.run_name = overrides.runName;
  if (overrides.judgeModel !== undefined)
    merged.judge = { ...(merged.judge ?? {}), model: overrides.judgeModel };
  if (overrides.mlflowTraces !== undefined)
    merged.mlflow = { ...(merged.mlflow ?? {}), traces: overrides.mlflowTraces };
  return merged;
}

/**
 * `./judgeflow-runs/<timestamp>`; an existing non-empty folder is refused so runs never mix, and a path
 * that is a file (or cannot be read as a folder) is a ConfigError naming `--out`, not a crash.
 */
export function resolveOutDir(cwd: string, out: string | undefined, now = new Date()): string {
  const dir =
    out !== undefined
      ? path.resolve(cwd, out)
      : path.join(cwd, 'judgeflow-runs', now.toISOString().replace(/[:.]/g, '-'));
  if (!existsSync(dir)) return dir;
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      throw new ConfigError(`--out ${dir} is a file, not a folder; choose another --out`, { field: 'out' });
    }
    entries = readdirSync(dir);
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(`--out ${dir} cannot be used as the output folder: ${errorMessage(cause)}`, {
      field: 'out',
      cause,
    });
  }
  if (entries.length > 0) {
    throw new ConfigError(`output folder ${dir} already exists and is not empty; choose another --out`, {
      field: 'out',
    });
  }
  return dir;
}
