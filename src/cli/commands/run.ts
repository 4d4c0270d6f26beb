import type { Command } from 'commander';
import { exitCodesHelp } from '../../app/exit-codes.js';
import { modelsRunEpilogue } from '../../app/models-run-epilogue.js';
import { runEvalFile } from '../../app/run-eval-file.js';
import { readEnv } from '../../config/env.js';
import { redactorFor } from '../../config/secrets.js';
import type { Redactor } from '../../core/redact.js';
import type { EvaluationOutcome } from '../../runner/run-evaluation.js';
import { createProgressReporter, formatSummaryTable } from '../progress.js';
import { redactingStream } from '../redacting-stream.js';
import { reportError } from '../report-error.js';
import {
  addRunOptions,
  givenOptions,
  nonNegativeInt,
  type RunCliOptions,
  runRequestParts,
} from './run-options.js';

export { nonNegativeInt, positiveInt, positiveNumber, type RunCliOptions } from './run-options.js';

export interface CommandIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Installs Ctrl-C handling; returns a function that removes it. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Ends the process at once (a second Ctrl-C); absent in-process. */
  exit?: (code: number) => void;
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
    exit: (code) => process.exit(code),
  };
}

/**
 * `judgeflow run eval.yaml` as a plain function: returns the exit code. The first Ctrl-C stops
 * dispatching and cancels the calls in flight — a hung call cannot hold the run — then results are
 * flushed and the run ends with exit 130 (finished rows kept, rows cut off dropped). A second Ctrl-C
 * exits at once, without waiting for the flush.
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
        '\ninterrupted: cancelling rows in flight and writing the results so far (Ctrl-C again to exit at once)\n',
      );
      stopDispatch.abort();
      abortRows.abort();
    } else {
      io.stderr.write('interrupted again: exiting without waiting for the results to be written\n');
      io.exit?.(130);
    }
  });
  const progress = options.progress ? createProgressReporter({ stream: io.stderr }) : undefined;
  try {
    const { overrides, executor, mlflow } = runRequestParts(options, (line) => io.stderr.write(`${line}\n`));
    const response = await runEvalFile({
      evalPath,
      overrides,
      mlflow,
      executor,
      env: readEnv(io.env, io.cwd),
      cwd: io.cwd,
      signal: stopDispatch.signal,
      abortRows: abortRows.signal,
      ...(progress !== undefined ? { onEvent: progress.onEvent } : {}),
      log: (line) => io.stderr.write(`${line}\n`),
      redactor: io.redactor,
      processEnv: io.env,
      ...(options.metricsPort !== undefined ||
      options.metricsHost !== undefined ||
      options.metricsLingerS !== undefined
        ? {
            metrics: {
              port: options.metricsPort,
              host: options.metricsHost,
              lingerSeconds: options.metricsLingerS,
            },
          }
        : {}),
    });
    const runs = 'models' in response ? response.models : [{ ...response, model: undefined }];
    for (const run of runs) {
      if (run.model !== undefined) io.stdout.write(`model ${run.model}:\n`);
      writeOutcome(io, run.outcome, options.wait !== false);
    }
    if ('models' in response) io.stdout.write(`${modelsRunEpilogue(response)}\n`);
    return response.exitCode;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env, redactor: io.redactor });
  } finally {
    progress?.stop();
    removeInterrupt?.();
  }
}

/** One run's summary table, where its files are, its MLflow run, and what the user should do next. */
function writeOutcome(io: CommandIo, outcome: EvaluationOutcome, wait: boolean): void {
  io.stdout.write(`${formatSummaryTable(outcome.summary)}\n\n`);
  io.stdout.write(`results: ${outcome.outDir}/results.jsonl\nsummary: ${outcome.outDir}/summary.json\n`);
  if (outcome.summary.mlflow !== undefined) io.stdout.write(`mlflow run: ${outcome.summary.mlflow.url}\n`);
  const empty = (outcome.summary.gates ?? []).filter((g) => !g.passed && g.gate.endsWith(' has values'));
  if (empty.length > 0) {
    const list = empty.map((g) => g.gate.slice(0, -' has values'.length)).join(',');
    io.stderr.write(
      `judgeflow: ${list} produced no value at all, so the run fails (exit 1); if that is expected, pass --allow-no-values ${list} (or allow_no_values in the eval file)\n`,
    );
  }
  if (outcome.pendingWrites > 0) {
    io.stderr.write(
      wait
        ? `${outcome.pendingWrites} MLflow writes could not be delivered and wait in ${outcome.outDir}/mlflow-spool; replay them with: judgeflow mlflow sync ${outcome.outDir}\n`
        : `--no-wait: ${outcome.pendingWrites} MLflow writes are spooled in ${outcome.outDir}/mlflow-spool; send them with: judgeflow mlflow sync ${outcome.outDir}\n`,
    );
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

export function registerRunCommand(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('run')
    .description('evaluate: dataset → model under test → scorers → results files and MLflow')
    .argument('<eval-file>', 'the eval file (YAML)');
  addRunOptions(command)
    .option(
      '--no-wait',
      'end once every row is scored: the MLflow backlog stays spooled on disk (exit 3) for `judgeflow mlflow sync`',
    )
    .option('--no-progress', 'no progress output')
    .option(
      '--metrics-port <port>',
      'serve Prometheus /metrics on this port (default JUDGEFLOW_METRICS_PORT; off)',
      nonNegativeInt,
    )
    .option(
      '--metrics-host <host>',
      'interface /metrics binds (default JUDGEFLOW_METRICS_HOST, else 127.0.0.1)',
    )
    .option(
      '--metrics-linger-s <s>',
      'keep /metrics up this many seconds after the run, for a last scrape',
      nonNegativeInt,
    )
    .addHelpText('after', exitCodesHelp())
    .action(async (evalPath: string, options: RunCliOptions) => {
      setExitCode(await runCommand(evalPath, { ...options, given: givenOptions(command) }, processIo()));
    });
}
