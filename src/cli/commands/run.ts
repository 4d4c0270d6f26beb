import { type Command, InvalidArgumentError, Option } from 'commander';
import { exitCodesHelp } from '../../app/exit-codes.js';
import { type ExecutorChoice, type RunOverrides, runEvalFile } from '../../app/run-eval-file.js';
import { readEnv } from '../../config/env.js';
import { redactorFor } from '../../config/secrets.js';
import type { Redactor } from '../../core/redact.js';
import { createProgressReporter, formatSummaryTable } from '../progress.js';
import { redactingStream } from '../redacting-stream.js';
import { reportError } from '../report-error.js';

export interface RunCliOptions {
  out?: string;
  concurrency?: number;
  limit?: number;
  sample?: number;
  seed?: number;
  failUnder: string[];
  maxErrors?: number;
  maxCost?: number;
  maxTokens?: number;
  mlflow: boolean;
  trackingUri?: string;
  mlflowTraces?: string;
  /** Commander sets it from `--no-wait` (false); absent means true. */
  wait?: boolean;
  experiment?: string;
  runName?: string;
  judge?: string;
  executor: 'local' | 'ray';
  rayAddress?: string;
  workers: number;
  workerConcurrency: number;
  rayPython?: string;
  progress: boolean;
}

export interface CommandIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Installs Ctrl-C handling; returns a function that removes it. */
  onInterrupt?: (handler: () => void) => () => void;
  /** The redactor `stdout` and `stderr` already write through (a command may teach it more secrets). */
  redactor?: Redactor;
}

/** The process's streams, scrubbed of every secret the environment holds (and any a command adds). */
export function processIo(): CommandIo {
  const redactor = redactorFor(readEnv(process.env));
  return {
    stdout: redactingStream(process.stdout, redactor),
    stderr: redactingStream(process.stderr, redactor),
    redactor,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}

/**
 * `judgeflow run eval.yaml` as a plain function: returns the exit code. First Ctrl-C stops dispatching
 * and lets rows in flight finish (exit 130, partial results kept); a second one aborts them.
 */
export async function runCommand(
  evalPath: string,
  options: RunCliOptions,
  commandIo: CommandIo,
): Promise<number> {
  const io = scrubbedIo(commandIo);
  const stopDispatch = new AbortController();
  const abortRows = new AbortController();
  let interrupts = 0;
  const removeInterrupt = io.onInterrupt?.(() => {
    interrupts += 1;
    if (interrupts === 1) {
      io.stderr.write(
        '\ninterrupted: finishing rows in flight and writing results (Ctrl-C again to abort them)\n',
      );
      stopDispatch.abort();
    } else abortRows.abort();
  });
  const progress = options.progress ? createProgressReporter({ stream: io.stderr }) : undefined;
  try {
    const overrides: RunOverrides = {
      failUnder: options.failUnder,
      ...(options.out !== undefined ? { out: options.out } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.sample !== undefined ? { sample: options.sample } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.maxErrors !== undefined ? { maxErrors: options.maxErrors } : {}),
      ...(options.maxCost !== undefined ? { maxCost: options.maxCost } : {}),
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      ...(options.experiment !== undefined ? { experiment: options.experiment } : {}),
      ...(options.runName !== undefined ? { runName: options.runName } : {}),
      ...(options.judge !== undefined ? { judgeModel: options.judge } : {}),
      ...(options.mlflowTraces !== undefined ? { mlflowTraces: options.mlflowTraces } : {}),
    };
    const executor: ExecutorChoice =
      options.executor === 'ray'
        ? {
            kind: 'ray',
            workers: options.workers,
            workerConcurrency: options.workerConcurrency,
            ...(options.rayAddress !== undefined ? { address: options.rayAddress } : {}),
            ...(options.rayPython !== undefined ? { python: options.rayPython } : {}),
          }
        : { kind: 'local' };
    const { outcome, exitCode } = await runEvalFile({
      evalPath,
      overrides,
      mlflow: {
        enabled: options.mlflow,
        wait: options.wait !== false,
        ...(options.trackingUri !== undefined ? { trackingUri: options.trackingUri } : {}),
      },
      executor,
      env: readEnv(io.env, io.cwd),
      cwd: io.cwd,
      signal: stopDispatch.signal,
      abortRows: abortRows.signal,
      ...(progress !== undefined ? { onEvent: progress.onEvent } : {}),
      log: (line) => io.stderr.write(`${line}\n`),
      redactor: io.redactor,
    });
    io.stdout.write(`${formatSummaryTable(outcome.summary)}\n\n`);
    io.stdout.write(`results: ${outcome.outDir}/results.jsonl\nsummary: ${outcome.outDir}/summary.json\n`);
    if (outcome.summary.mlflow !== undefined) io.stdout.write(`mlflow run: ${outcome.summary.mlflow.url}\n`);
    if (outcome.pendingWrites > 0) {
      io.stderr.write(
        options.wait !== false
          ? `${outcome.pendingWrites} MLflow writes could not be delivered and wait in ${outcome.outDir}/mlflow-spool; replay them with: judgeflow mlflow sync ${outcome.outDir}\n`
          : `--no-wait: ${outcome.pendingWrites} MLflow writes are spooled in ${outcome.outDir}/mlflow-spool; send them with: judgeflow mlflow sync ${outcome.outDir}\n`,
      );
    }
    return exitCode;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env, redactor: io.redactor });
  } finally {
    progress?.stop();
    removeInterrupt?.();
  }
}

/** The io with streams that scrub secrets (`processIo()`'s already do; a test's are wrapped here). */
export function scrubbedIo(io: CommandIo): CommandIo & { redactor: Redactor } {
  if (io.redactor !== undefined) return { ...io, redactor: io.redactor };
  const redactor = redactorFor(readEnv(io.env, io.cwd));
  return {
    ...io,
    stdout: redactingStream(io.stdout, redactor),
    stderr: redactingStream(io.stderr, redactor),
    redactor,
  };
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

export function registerRunCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('run')
    .description('evaluate: dataset → model under test → scorers → results files and MLflow')
    .argument('<eval-file>', 'the eval file (YAML)')
    .option('--out <dir>', 'output folder (default ./judgeflow-runs/<timestamp>)')
    .option('-c, --concurrency <n>', 'rows in flight (default 16, or the eval file)', positiveInt)
    .option('--limit <n>', 'only the first N rows', positiveInt)
    .option('--sample <n>', 'a random sample of N rows (with --seed)', positiveInt)
    .option('--seed <s>', 'seed for --sample (default 0)', (v) => Number.parseInt(v, 10))
    .option(
      '--fail-under <gate>',
      'quality gate <name>/<agg>=<min>, repeatable',
      (v, acc: string[]) => [...acc, v],
      [],
    )
    .option('--max-errors <n>', 'fail (exit 1) when failed rows + error feedbacks exceed N', nonNegativeInt)
    .option('--max-cost <usd>', 'stop dispatching new rows at this cost (exit 4)', positiveNumber)
    .option('--max-tokens <n>', 'stop dispatching new rows at this many tokens (exit 4)', positiveInt)
    .option('--no-mlflow', 'do not log to MLflow (files only)')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .option(
      '--mlflow-traces <mode>',
      'which rows get an MLflow trace: all (default), failed, sample:<fraction>; every row is in the results table',
    )
    .option(
      '--no-wait',
      'end once every row is scored: the MLflow backlog stays spooled on disk (exit 3) for `judgeflow mlflow sync`',
    )
    .option('--experiment <name>', 'MLflow experiment (overrides the eval file)')
    .option('--run-name <name>', 'MLflow run name (overrides the eval file)')
    .option('--judge <model-uri>', 'default judge model, e.g. openai:/gpt-4o-mini or local')
    .addOption(new Option('--executor <kind>', 'where rows run').choices(['local', 'ray']).default('local'))
    .option('--ray-address <address>', 'Ray cluster: auto or HOST:PORT (default RAY_ADDRESS, else auto)')
    .option('--workers <n>', 'Ray workers (actors), each with one Node worker', positiveInt, 2)
    .option('--worker-concurrency <k>', 'rows in flight per Ray worker', positiveInt, 16)
    .option('--ray-python <path>', 'python with ray installed (default: the judgeflow setup venv)')
    .option('--no-progress', 'no progress output')
    .addHelpText('after', exitCodesHelp())
    .action(async (evalPath: string, options: RunCliOptions) => {
      setExitCode(await runCommand(evalPath, options, processIo()));
    });
}
