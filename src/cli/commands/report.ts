import path from 'node:path';
import type { Command } from 'commander';
import { readEnv } from '../../config/env.js';
import { ConfigError, InfrastructureError, MlflowError } from '../../core/errors.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo, scrubbedIo } from './run.js';

export interface ReportCliOptions {
  /** `--out file.html` (default: report.html beside the input). */
  out?: string;
  /**
   * `--mlflow-run RUN_ID`: log the report as an artifact of this run. Default: the run the input was
   * logged to (summary.json's `mlflow.run_id`, a comparison's comparison run), when it was.
   */
  mlflowRun?: string;
  /** `--no-mlflow`: write the file only. */
  mlflow?: boolean;
  trackingUri?: string;
}

/** The MLflow run a report input belongs to, and its server when the input says. */
async function inputRun(file: string): Promise<{ runId: string; trackingUri?: string } | undefined> {
  const { readReportInput } = await import('../../app/report/index.js');
  const input = await readReportInput(file);
  if (input.kind === 'comparison') {
    const runId = input.comparison.mlflow?.comparison_run_id;
    return runId !== undefined ? { runId } : undefined;
  }
  const section = input.summary?.mlflow;
  if (section?.run_id === undefined) return undefined;
  return {
    runId: section.run_id,
    ...(section.tracking_uri !== undefined ? { trackingUri: section.tracking_uri } : {}),
  };
}

/**
 * `judgeflow report <input>` as a plain function: writes one self-contained HTML report of a run's
 * results folder or of a comparison (comparison.json, or a folder holding one), prints its path, and
 * with `--mlflow-run` logs it as that run's `report.html` artifact. Exit 0; 2 for an input that is
 * neither.
 */
export async function reportCommand(
  input: string,
  options: ReportCliOptions,
  commandIo: CommandIo,
): Promise<number> {
  const io = scrubbedIo(commandIo);
  try {
    const { writeReport } = await import('../../app/report/index.js');
    const file = await writeReport({
      input: path.resolve(io.cwd, input),
      ...(options.out !== undefined ? { out: path.resolve(io.cwd, options.out) } : {}),
    });
    io.stdout.write(`report: ${file}\n`);
    const run =
      options.mlflow === false
        ? undefined
        : options.mlflowRun !== undefined
          ? { runId: options.mlflowRun }
          : await inputRun(path.resolve(io.cwd, input));
    if (run !== undefined) {
      const runId = run.runId;
      const env = readEnv(io.env, io.cwd);
      const mlflow = await import('../../sinks/mlflow/index.js');
      // the server the input was logged to, unless told otherwise
      const flag = options.trackingUri ?? (options.mlflowRun === undefined ? run.trackingUri : undefined);
      const target = await mlflow.resolveTrackingUri({
        env,
        home: env.home,
        ...(flag !== undefined ? { flag } : {}),
        log: (line) => io.stderr.write(`${line}\n`),
      });
      if (target === undefined) {
        io.stderr.write('judgeflow: no MLflow server to log the report to; the file is written\n');
        return 0;
      }
      const client = new mlflow.MlflowClient({ trackingUri: target.uri, env });
      try {
        const { logReportArtifact } = await import('../../app/report/index.js');
        const artifact = await logReportArtifact(client, runId, file).catch((error: unknown) => {
          throw mlflowFailure(error, runId, target.uri, file);
        });
        io.stdout.write(`logged to MLflow run ${runId} as ${artifact}\n`);
      } finally {
        await client.close();
      }
    }
    return 0;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  }
}

/**
 * The exit code a failed upload deserves: an unknown run id is the user's input (2), a server that
 * cannot be reached is infrastructure (5); anything else stays as it is. The file is written either way.
 */
function mlflowFailure(error: unknown, runId: string, trackingUri: string, file: string): unknown {
  if (!(error instanceof MlflowError)) return error;
  const written = `(the report is written: ${file})`;
  if (error.errorCode === 'RESOURCE_DOES_NOT_EXIST' || error.status === 404) {
    return new ConfigError(`MLflow run ${runId}: no such run on ${trackingUri} ${written}`, {
      cause: error,
    });
  }
  if (error.status === undefined) {
    return new InfrastructureError(
      `MLflow at ${trackingUri} cannot be reached ${written}: ${error.message}`,
      {
        component: 'mlflow',
        cause: error,
      },
    );
  }
  return error;
}

export function registerReportCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('report')
    .description(
      'write one self-contained HTML report (charts, row table, regressions) of a run or a comparison',
    )
    .argument('<input>', "a run's results folder, a comparison.json, or a folder holding one")
    .option('--out <file.html>', 'where to write the report (default: report.html beside the input)')
    .option(
      '--mlflow-run <run-id>',
      'log the report as an artifact of this MLflow run (default: the run the input was logged to)',
    )
    .option('--no-mlflow', 'write the file only, log nothing to MLflow')
    .option('--tracking-uri <uri>', 'the MLflow server for --mlflow-run (default: as `run` finds it)')
    .action(async (input: string, options: ReportCliOptions) => {
      setExitCode(await reportCommand(input, options, processIo()));
    });
}
