import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ExecutorChoice, RunOverrides } from '../../app/run-options.js';
import { ConfigError } from '../../core/errors.js';

/** The options `run` and `validate` share: validate checks exactly the run these options describe. */
export interface RunCliOptions {
  out?: string;
  concurrency?: number;
  limit?: number;
  sample?: number;
  seed?: number;
  failUnder: string[];
  maxErrors?: number;
  /** `--allow-no-values` alone: every scorer; with names: those. */
  allowNoValues?: true | string[];
  maxCost?: number;
  maxTokens?: number;
  mlflow: boolean;
  trackingUri?: string;
  mlflowTraces?: string;
  /** Commander sets it from `--no-wait` (false; `run` only); absent means true. */
  wait?: boolean;
  experiment?: string;
  runName?: string;
  judge?: string;
  executor: 'local' | 'ray';
  /** `--ray <address>`: the Ray cluster (implies `--executor ray`). */
  ray?: string;
  /** `--ray-address`: the old name of `--ray`, kept as a hidden alias. */
  rayAddress?: string;
  workers: number;
  workerConcurrency: number;
  rayPython?: string;
  progress: boolean;
  /** `--metrics-port` / `--metrics-host` / `--metrics-linger-s` (`run` only). */
  metricsPort?: number;
  metricsHost?: string;
  metricsLingerS?: number;
  /** Options the user typed (commander's value source `cli`), to tell a typed value from a default. */
  given?: readonly string[];
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** Any integer, written as one: `--seed abc` and `--seed 1.5` are refused (parseInt would take `1`). */
export function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError('expected an integer');
  return Number(value);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function names(value: string, previous: true | string[] | undefined): string[] {
  const list = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (list.length === 0) throw new InvalidArgumentError('expected scorer names, e.g. correctness,safety');
  return [...(Array.isArray(previous) ? previous : []), ...list];
}

/** Adds the options that describe a run (everything but how it shows progress). */
export function addRunOptions(command: Command): Command {
  return command
    .option('--out <dir>', 'output folder (default ./judgeflow-runs/<timestamp>)')
    .option(
      '-c, --concurrency <n>',
      'rows in flight (default 16, or the eval file); local executor',
      positiveInt,
    )
    .option('--limit <n>', 'only the first N rows', positiveInt)
    .option('--sample <n>', 'a random sample of N rows (with --seed)', positiveInt)
    .option('--seed <s>', 'seed for --sample (default 0)', integer)
    .option('--fail-under <gate>', 'quality gate <name>/<agg>=<min>, repeatable', collect, [])
    .option('--max-errors <n>', 'fail (exit 1) when failed rows + error feedbacks exceed N', nonNegativeInt)
    .option(
      '--allow-no-values [names]',
      'let these scorers (comma-separated; all when no names) end with no value at all and still exit 0',
      names,
    )
    .option('--max-cost <usd>', 'stop dispatching new rows at this cost (exit 4)', positiveNumber)
    .option('--max-tokens <n>', 'stop dispatching new rows at this many tokens (exit 4)', positiveInt)
    .option('--no-mlflow', 'do not log to MLflow (files only)')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .option(
      '--mlflow-traces <mode>',
      'which rows get an MLflow trace: all (default), failed, sample:<fraction>; every row is in the results table',
    )
    .option('--experiment <name>', 'MLflow experiment (overrides the eval file)')
    .option('--run-name <name>', 'MLflow run name (overrides the eval file)')
    .option('--judge <model-uri>', 'default judge model, e.g. openai:/gpt-4o-mini or local')
    .addOption(new Option('--executor <kind>', 'where rows run').choices(['local', 'ray']).default('local'))
    .option(
      '--ray <address>',
      'Ray cluster: auto, HOST:PORT or ray://HOST:PORT; implies --executor ray (default RAY_ADDRESS, else the cluster on this machine, else a local head started for the run)',
    )
    .addOption(new Option('--ray-address <address>', 'deprecated: use --ray').hideHelp())
    .option('--workers <n>', 'Ray workers (actors), each with one Node worker', positiveInt, 2)
    .option('--worker-concurrency <k>', 'rows in flight per Ray worker', positiveInt, 16)
    .option('--ray-python <path>', 'python with ray installed (default: the judgeflow setup venv)');
}

/** The names of the options the user typed on this command line. */
export function givenOptions(command: Command): string[] {
  return command.options
    .map((option) => option.attributeName())
    .filter((name) => command.getOptionValueSource(name) === 'cli');
}

/** What the options ask of the run: overrides of the eval file, the executor, MLflow. */
export function runRequestParts(
  options: RunCliOptions,
  warn: (line: string) => void,
): {
  overrides: RunOverrides;
  executor: ExecutorChoice;
  mlflow: { enabled: boolean; trackingUri?: string; wait: boolean };
} {
  const overrides: RunOverrides = {
    failUnder: options.failUnder,
    ...(options.out !== undefined ? { out: options.out } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.sample !== undefined ? { sample: options.sample } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.maxErrors !== undefined ? { maxErrors: options.maxErrors } : {}),
    ...(options.allowNoValues !== undefined ? { allowNoValues: options.allowNoValues } : {}),
    ...(options.maxCost !== undefined ? { maxCost: options.maxCost } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    ...(options.experiment !== undefined ? { experiment: options.experiment } : {}),
    ...(options.runName !== undefined ? { runName: options.runName } : {}),
    ...(options.judge !== undefined ? { judgeModel: options.judge } : {}),
    ...(options.mlflowTraces !== undefined ? { mlflowTraces: options.mlflowTraces } : {}),
  };
  if (options.rayAddress !== undefined) {
    warn('judgeflow: --ray-address is deprecated; use --ray (one flag names a Ray cluster everywhere)');
  }
  const address = options.ray ?? options.rayAddress;
  const given = new Set(options.given ?? []);
  if (address !== undefined && options.executor === 'local' && given.has('executor')) {
    throw new ConfigError(
      '--ray names a cluster for --executor ray; it does not apply with --executor local',
      {
        field: 'ray',
      },
    );
  }
  const kind = address !== undefined ? 'ray' : options.executor;
  if (kind === 'local') {
    const rayOnly = ['workers', 'workerConcurrency', 'rayPython'].filter((name) => given.has(name));
    if (rayOnly.length > 0) {
      const flags = rayOnly.map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      throw new ConfigError(
        `${flags.join(', ')} only apply with --executor ray (add it, or leave them out)`,
        {
          field: rayOnly[0] as string,
        },
      );
    }
  }
  const executor: ExecutorChoice =
    kind === 'ray'
      ? {
          kind: 'ray',
          workers: options.workers,
          workerConcurrency: options.workerConcurrency,
          ...(address !== undefined ? { address } : {}),
          ...(options.rayPython !== undefined ? { python: options.rayPython } : {}),
        }
      : { kind: 'local' };
  return {
    overrides,
    executor,
    mlflow: {
      enabled: options.mlflow,
      wait: options.wait !== false,
      ...(options.trackingUri !== undefined ? { trackingUri: options.trackingUri } : {}),
    },
  };
}
