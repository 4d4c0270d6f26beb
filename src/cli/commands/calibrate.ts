import path from 'node:path';
import { type Command, Option } from 'commander';
import { EXIT, exitCodesHelp } from '../../app/exit-codes.js';
import { readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import type { KappaWeights } from '../../stats/agreement.js';
import type { AlphaLevel } from '../../stats/krippendorff.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo, scrubbedIo } from './run.js';

export interface CalibrateCliOptions {
  /** `--run RUN`: the evaluated run (the same as the argument). */
  run?: string;
  labels?: string;
  dataset?: string;
  pairwise?: string;
  weights?: KappaWeights;
  alphaLevel?: AlphaLevel;
  experiment?: string;
  mlflow: boolean;
  trackingUri?: string;
  json?: boolean;
}

/**
 * `judgeflow calibrate [run-id]` as a plain function: reads the run's judge verdicts and human labels
 * from MLflow (or labels from `--labels`, or everything from `--dataset`), prints the calibration
 * (or `--json`) and logs it as a calibration run. Exit 0; 1 when no judge verdict met a human label
 * (nothing to calibrate); 2 for bad input (an unknown run, a bad labels line).
 */
export async function calibrateCommand(
  runArgument: string | undefined,
  options: CalibrateCliOptions,
  commandIo: CommandIo,
): Promise<number> {
  const io = scrubbedIo(commandIo);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  try {
    const runId = runArgument ?? options.run;
    if (runArgument !== undefined && options.run !== undefined && runArgument !== options.run)
      throw new ConfigError(`two runs given: ${runArgument} and --run ${options.run}`, { field: 'run' });
    if (options.dataset !== undefined && (runId !== undefined || options.labels !== undefined))
      throw new ConfigError('--dataset holds labels and verdicts both: give no run and no --labels with it', {
        field: 'dataset',
      });
    if (options.dataset === undefined && runId === undefined)
      throw new ConfigError(
        'give the evaluated run (judgeflow calibrate RUN_ID) or a labelled --dataset FILE',
        {
          field: 'run',
        },
      );
    const env = readEnv(io.env, io.cwd);
    const needsServer = runId !== undefined || options.mlflow;
    let client: import('../../sinks/mlflow/client.js').MlflowClient | undefined;
    if (needsServer) {
      const mlflow = await import('../../sinks/mlflow/index.js');
      const target = await mlflow.resolveTrackingUri({
        env,
        home: env.home,
        ...(options.trackingUri !== undefined ? { flag: options.trackingUri } : {}),
        log,
      });
      if (target === undefined) {
        if (runId !== undefined)
          throw new ConfigError(
            'no MLflow server to read the run from: set MLFLOW_TRACKING_URI or --tracking-uri',
            {
              field: 'trackingUri',
            },
          );
        log('judgeflow: no MLflow server; the calibration is printed only');
      } else client = new mlflow.MlflowClient({ trackingUri: target.uri, env });
    }
    try {
      const { formatCalibration, runCalibrate } = await import('../../app/calibrate/index.js');
      const resolve = (file: string | undefined) =>
        file !== undefined ? path.resolve(io.cwd, file) : undefined;
      const labels = resolve(options.labels);
      const dataset = resolve(options.dataset);
      const pairwise = resolve(options.pairwise);
      const report = await runCalibrate({
        ...(runId !== undefined ? { runId } : {}),
        ...(labels !== undefined ? { labels } : {}),
        ...(dataset !== undefined ? { dataset } : {}),
        ...(pairwise !== undefined ? { pairwise } : {}),
        settings: {
          weights: options.weights ?? 'none',
          ...(options.alphaLevel !== undefined ? { alphaLevel: options.alphaLevel } : {}),
        },
        ...(client !== undefined ? { client } : {}),
        log: options.mlflow && client !== undefined,
        ...(options.experiment !== undefined ? { experiment: options.experiment } : {}),
      });
      io.stdout.write(
        options.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${formatCalibration(report)}\n`,
      );
      if (report.judges.every((j) => j.n === 0) && report.position === null) {
        log('judgeflow: no judge verdict has a human label to compare with: nothing is calibrated');
        return EXIT.gateFailed;
      }
      return EXIT.ok;
    } finally {
      await client?.close();
    }
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env, redactor: io.redactor });
  }
}

export function registerCalibrateCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('calibrate')
    .description(
      "how far to trust each judge: accuracy, Cohen's kappa, confusion matrix and Spearman against human labels, human agreement as the ceiling, self- and position consistency; logged to MLflow",
    )
    .argument(
      '[run-id]',
      'the evaluated MLflow run whose traces hold the judges’ verdicts and the human labels',
    )
    .option('--run <run-id>', 'the evaluated run (same as the argument), e.g. with --labels')
    .option(
      '--labels <file>',
      'human labels from a JSONL/CSV file (row_id, name, value, reviewer) for the run’s traces',
    )
    .option(
      '--dataset <file>',
      'a labelled dataset (JSONL/CSV: row_id, name, value, reviewer, source HUMAN|LLM_JUDGE|CODE): no run needed',
    )
    .option(
      '--pairwise <file>',
      'a comparison.json with pairwise rows (judgeflow compare --pairwise): position consistency',
    )
    .addOption(
      new Option('--weights <kind>', "Cohen's kappa weights for ordinal scales (default none)").choices([
        'none',
        'linear',
        'quadratic',
      ]),
    )
    .addOption(
      new Option(
        '--alpha-level <level>',
        "Krippendorff's alpha level (default nominal for categories, interval for numbers)",
      ).choices(['nominal', 'ordinal', 'interval']),
    )
    .option(
      '--experiment <name>',
      'experiment of the calibration run of a --dataset (default judgeflow-calibration)',
    )
    .option('--no-mlflow', 'print only; log no calibration run')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', exitCodesHelp())
    .action(async (runId: string | undefined, options: CalibrateCliOptions) => {
      setExitCode(await calibrateCommand(runId, options, processIo()));
    });
}
