import { type Command, InvalidArgumentError } from 'commander';
import { exitCodesHelp } from '../../app/exit-codes.js';
import { readEnv } from '../../config/env.js';
import { judgeflowVersion } from '../../core/paths.js';
import { type JobDetails, RayJobsClient } from '../../submit/jobs-client.js';
import {
  exitCodeForJob,
  followUntilDone,
  resolveDashboardUrl,
  type SubmitRequest,
  submitEvalFile,
} from '../../submit/submit.js';
import { reportError } from '../report-error.js';
import { type CommandIo, positiveInt, positiveNumber, processIo } from './run.js';

export interface SubmitCliOptions {
  ray?: string;
  follow: boolean;
  root?: string;
  judgeflowCommand?: string;
  workers?: number;
  workerConcurrency?: number;
  trackingUri?: string;
  mlflow: boolean;
  env: string[];
  jobName?: string;
  submissionId?: string;
  entrypointNumCpus?: number;
  include: string[];
}

/**
 * Two Ctrl-C levels for commands that follow a job: the first stops the job (and keeps following so its
 * last lines show), the second stops following at once.
 */
function interruptLevels(io: CommandIo, stderr: NodeJS.WritableStream) {
  const stop = new AbortController();
  const detach = new AbortController();
  let count = 0;
  const remove = io.onInterrupt?.(() => {
    count += 1;
    if (count === 1) {
      stderr.write('\ninterrupted: stopping the job (Ctrl-C again to stop following)\n');
      stop.abort();
    } else detach.abort();
  });
  return { stop: stop.signal, detach: detach.signal, remove: () => remove?.() };
}

/** `judgeflow submit eval.yaml --ray URL`; returns the exit code (the job's, when followed). */
export async function submitCommand(
  evalPath: string,
  runArgs: string[],
  options: SubmitCliOptions,
  io: CommandIo,
) {
  const levels = interruptLevels(io, io.stderr);
  try {
    const envVars: Record<string, string> = {};
    for (const pair of options.env) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new InvalidArgumentError(`--env expects NAME=VALUE, got ${pair}`);
      envVars[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const request: SubmitRequest = {
      evalPath,
      follow: options.follow,
      env: readEnv(io.env, io.cwd),
      cwd: io.cwd,
      runArgs: [...(options.mlflow ? [] : ['--no-mlflow']), ...runArgs],
      envVars,
      stopSignal: levels.stop,
      detachSignal: levels.detach,
      output: (text) => io.stdout.write(text),
      log: (line) => io.stderr.write(`${line}\n`),
      ...(options.ray !== undefined ? { rayUrl: options.ray } : {}),
      ...(options.root !== undefined ? { root: options.root } : {}),
      ...(options.judgeflowCommand !== undefined ? { judgeflowCommand: options.judgeflowCommand } : {}),
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      ...(options.workerConcurrency !== undefined ? { workerConcurrency: options.workerConcurrency } : {}),
      ...(options.trackingUri !== undefined ? { trackingUri: options.trackingUri } : {}),
      ...(options.jobName !== undefined ? { jobName: options.jobName } : {}),
      ...(options.submissionId !== undefined ? { submissionId: options.submissionId } : {}),
      ...(options.entrypointNumCpus !== undefined ? { entrypointNumCpus: options.entrypointNumCpus } : {}),
      ...(options.include.length > 0 ? { include: options.include } : {}),
    };
    const result = await submitEvalFile(request);
    if (!options.follow) io.stdout.write(`${result.submissionId}\n`);
    return result.exitCode;
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      io.stderr.write(`judgeflow: ${error.message}\n`);
      return 2;
    }
    return reportError(error, io.stderr, { env: io.env });
  } finally {
    levels.remove();
  }
}

function jobsClient(ray: string | undefined, io: CommandIo): RayJobsClient {
  const env = readEnv(io.env, io.cwd);
  return new RayJobsClient({
    baseUrl: resolveDashboardUrl(ray, env),
    userAgent: `judgeflow/${judgeflowVersion()}`,
    ...(env.rayAuthToken !== undefined ? { token: env.rayAuthToken } : {}),
  });
}

/** `judgeflow jobs list`: the cluster's jobs, newest first. */
export async function jobsListCommand(
  options: { ray?: string; json: boolean },
  io: CommandIo,
): Promise<number> {
  try {
    const jobs = (await jobsClient(options.ray, io).list()).sort(
      (a, b) => (b.start_time ?? 0) - (a.start_time ?? 0),
    );
    if (options.json) {
      io.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
      return 0;
    }
    const rows = jobs.map((job) => [
      job.submission_id ?? job.job_id ?? '-',
      job.status,
      job.metadata?.job_name ?? '-',
      job.start_time ? new Date(job.start_time).toISOString().slice(0, 19).replace('T', ' ') : '-',
      duration(job),
    ]);
    io.stdout.write(`${table([['ID', 'STATUS', 'NAME', 'STARTED (UTC)', 'DURATION'], ...rows])}\n`);
    return 0;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  }
}

/** `judgeflow jobs logs <id>`: the whole log, or followed to the job's end (exit code = the job's). */
export async function jobsLogsCommand(
  id: string,
  options: { ray?: string; follow: boolean },
  io: CommandIo,
): Promise<number> {
  const levels = interruptLevels(io, io.stderr);
  try {
    const client = jobsClient(options.ray, io);
    if (!options.follow) {
      io.stdout.write(await client.logs(id));
      return 0;
    }
    const details = await followUntilDone(client, id, {
      output: (text) => io.stdout.write(text),
      log: (line) => io.stderr.write(`${line}\n`),
      stopSignal: levels.stop,
      detachSignal: levels.detach,
    });
    return details === undefined ? 130 : exitCodeForJob(details);
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  } finally {
    levels.remove();
  }
}

/** `judgeflow jobs stop <id>`: asks Ray to stop the job; with --wait, until it is STOPPED (or ended otherwise). */
export async function jobsStopCommand(
  id: string,
  options: { ray?: string; wait: boolean },
  io: CommandIo,
): Promise<number> {
  try {
    const client = jobsClient(options.ray, io);
    const stopped = await client.stop(id);
    if (!stopped) {
      const details = await client.get(id);
      io.stderr.write(`judgeflow: job ${id} was not running (${details.status})\n`);
      return 0;
    }
    if (!options.wait) {
      io.stderr.write(`judgeflow: stop requested for ${id}\n`);
      return 0;
    }
    for (;;) {
      const details = await client.get(id);
      if (details.status === 'STOPPED' || details.status === 'SUCCEEDED' || details.status === 'FAILED') {
        io.stderr.write(`judgeflow: job ${id} ${details.status}\n`);
        return 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  }
}

export function registerRayCommands(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('submit')
    .description(
      'run an eval file as a Ray job on a cluster (Ray Jobs API); judgeflow comes from the worker image',
    )
    .argument('<eval-file>', 'the eval file (YAML); its folder is shipped as the job working_dir')
    .argument('[run-args...]', 'extra `judgeflow run` arguments, after --')
    .option('--ray <url>', 'Ray dashboard URL, e.g. http://HEAD:8265 (default RAY_API_SERVER_ADDRESS)')
    .option('--follow', 'stream the job logs until it ends and exit with its status', false)
    .option(
      '--root <dir>',
      'ship this folder instead of the eval file folder (it must contain the eval file)',
    )
    .option('--workers <n>', 'Ray workers for the run', positiveInt)
    .option('--worker-concurrency <k>', 'rows in flight per Ray worker', positiveInt)
    .option('--tracking-uri <uri>', 'MLflow server the cluster can reach (default MLFLOW_TRACKING_URI)')
    .option('--no-mlflow', 'the job writes results files only')
    .option('--env <name=value>', 'non-secret environment variable for the job, repeatable', collect, [])
    .option('--job-name <name>', 'name shown in the Ray Dashboard')
    .option('--submission-id <id>', 'job id (default judgeflow-<time>-<random>)')
    .option('--entrypoint-num-cpus <n>', 'CPUs reserved for the job driver', positiveNumber)
    .option('--judgeflow-command <command>', 'how the cluster runs judgeflow (default: judgeflow)')
    .option(
      '--include <path>',
      'ship this file although it looks like a credential file (.env, *.pem, id_*) or is ignored; relative to the shipped folder, repeatable',
      collect,
      [],
    )
    .addHelpText('after', exitCodesHelp())
    .action(async (evalPath: string, runArgs: string[], options: SubmitCliOptions) => {
      setExitCode(await submitCommand(evalPath, runArgs, options, processIo()));
    });

  const jobs = program.command('jobs').description('Ray jobs on a cluster: list, logs, stop');
  jobs
    .command('list')
    .description('list the jobs of a Ray cluster')
    .option('--ray <url>', 'Ray dashboard URL (default RAY_API_SERVER_ADDRESS)')
    .option('--json', 'print JSON', false)
    .action(async (options: { ray?: string; json: boolean }) => {
      setExitCode(await jobsListCommand(options, processIo()));
    });
  jobs
    .command('logs')
    .description("print a job's logs (--follow: until it ends; exit code = the job's)")
    .argument('<id>', 'submission id')
    .option('--ray <url>', 'Ray dashboard URL (default RAY_API_SERVER_ADDRESS)')
    .option('--follow', 'stream until the job ends', false)
    .action(async (id: string, options: { ray?: string; follow: boolean }) => {
      setExitCode(await jobsLogsCommand(id, options, processIo()));
    });
  jobs
    .command('stop')
    .description('stop a running job')
    .argument('<id>', 'submission id')
    .option('--ray <url>', 'Ray dashboard URL (default RAY_API_SERVER_ADDRESS)')
    .option('--wait', 'wait until the job has ended', false)
    .action(async (id: string, options: { ray?: string; wait: boolean }) => {
      setExitCode(await jobsStopCommand(id, options, processIo()));
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function duration(job: JobDetails): string {
  if (!job.start_time) return '-';
  const end = job.end_time ?? Date.now();
  const seconds = Math.max(0, Math.round((end - job.start_time) / 1000));
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
