import { type Command, InvalidArgumentError } from 'commander';
import { EXIT, exitCodesHelp } from '../../app/exit-codes.js';
import { readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo, scrubbedIo } from './run.js';

export interface AnnotateCliOptions {
  reviewer?: string;
  criteria?: string[];
  port?: number;
  trackingUri?: string;
}

/**
 * `judgeflow annotate RUN` as a plain function: serves the annotation page of an MLflow run on
 * 127.0.0.1 and prints its address, then serves until Ctrl-C (or `stop` is aborted). Exit 0; 2 for an
 * unknown run or criteria; 5 when MLflow cannot be reached.
 */
export async function annotateCommand(
  runId: string,
  options: AnnotateCliOptions,
  commandIo: CommandIo,
  stop: AbortSignal = new AbortController().signal,
): Promise<number> {
  const io = scrubbedIo(commandIo);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const stopped = new AbortController();
  const onStop = () => stopped.abort();
  stop.addEventListener('abort', onStop);
  const removeInterrupt = io.onInterrupt?.(onStop);
  try {
    const env = readEnv(io.env, io.cwd);
    const mlflow = await import('../../sinks/mlflow/index.js');
    const target = await mlflow.resolveTrackingUri({
      env,
      home: env.home,
      ...(options.trackingUri !== undefined ? { flag: options.trackingUri } : {}),
      log,
    });
    if (target === undefined)
      throw new ConfigError('no MLflow server: give --tracking-uri or set MLFLOW_TRACKING_URI', {
        field: 'trackingUri',
      });
    const client = new mlflow.MlflowClient({ trackingUri: target.uri, env });
    try {
      const { startAnnotation } = await import('../../app/annotate/annotate-run.js');
      const session = await startAnnotation({
        client,
        runId,
        ...(options.reviewer !== undefined ? { reviewer: options.reviewer } : {}),
        ...(options.criteria !== undefined ? { criteria: options.criteria } : {}),
        ...(options.port !== undefined ? { port: options.port } : {}),
        log,
      });
      try {
        const scales = session.criteria
          .map((c) => `${c.name} (${c.scale.kind === 'rubric' ? '1–5' : 'pass/fail'})`)
          .join(', ');
        log(`labelling ${session.rows} rows of run ${runId} on: ${scales}`);
        if (session.skipped.length > 0)
          log(`not labelled (no pass/fail or 1–5 scale): ${session.skipped.join(', ')}`);
        io.stdout.write(`annotate: ${session.url}\n`);
        log('each label is written to MLflow as it is given; Ctrl-C stops the server');
        if (!stopped.signal.aborted)
          await new Promise<void>((resolve) => stopped.signal.addEventListener('abort', () => resolve()));
      } finally {
        await session.close();
      }
    } finally {
      await client.close();
    }
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env, redactor: io.redactor });
  } finally {
    removeInterrupt?.();
    stop.removeEventListener('abort', onStop);
  }
}

function criteriaList(value: string, previous: string[] | undefined): string[] {
  const list = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (list.length === 0)
    throw new InvalidArgumentError('expected criterion names, e.g. correctness,relevance_to_query');
  return [...(previous ?? []), ...list];
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port, 0–65535');
  return n;
}

export function registerAnnotateCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('annotate')
    .description(
      "label a run's rows by hand in a local web page: one row at a time, the judges' verdicts hidden until answered, each label written to MLflow as a HUMAN assessment",
    )
    .argument('<run-id>', 'the MLflow run whose traces to label')
    .option('--reviewer <id>', 'your reviewer id, the source of every label (default: the page asks)')
    .option(
      '--criteria <names>',
      "criteria to label, comma-separated (default: every pass/fail or 1–5 feedback of the run's judges); name:pass_fail or name:1-5 gives a scale",
      criteriaList,
    )
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', port)
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .addHelpText('after', exitCodesHelp())
    .action(async (runId: string, options: AnnotateCliOptions) => {
      setExitCode(await annotateCommand(runId, options, processIo()));
    });
}
