import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Env } from '../config/env.js';
import { loadEvalFile } from '../config/load.js';
import type { EvalFile } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { judgeflowVersion } from '../core/paths.js';
import { type JobDetails, type JobStatus, RayJobsClient, TERMINAL_STATUSES } from './jobs-client.js';
import { followJobLogs } from './log-tail.js';
import { MAX_PACKAGE_BYTES, packageDirectory } from './package-dir.js';
import { describePackage } from './package-report.js';

export interface SubmitRequest {
  evalPath: string;
  /** The Ray dashboard URL (`--ray`); default RAY_API_SERVER_ADDRESS, or RAY_ADDRESS when it is a URL. */
  rayUrl?: string;
  follow: boolean;
  env: Env;
  cwd: string;
  /** The folder to ship as the job's working_dir; default the eval file's folder. */
  root?: string;
  /** How the cluster runs judgeflow (from the worker image); default `judgeflow`. */
  judgeflowCommand?: string;
  workers?: number;
  workerConcurrency?: number;
  /** MLflow tracking URI for the job; default MLFLOW_TRACKING_URI. */
  trackingUri?: string;
  /** Extra arguments for `judgeflow run` inside the job (`--limit 10`, `--no-mlflow`). */
  runArgs?: string[];
  /** Non-secret environment variables for the job (visible in the dashboard). */
  envVars?: Record<string, string>;
  jobName?: string;
  submissionId?: string;
  /** CPUs reserved for the driver (judgeflow run + bridge). */
  entrypointNumCpus?: number;
  maxPackageBytes?: number;
  /**
   * Files to ship although they look like credential files (`.env`, `*.pem`, `id_*`) or are ignored:
   * paths relative to the packaged folder (`--include`).
   */
  include?: string[];
  /** First abort: stop the job (and keep following to its end). */
  stopSignal?: AbortSignal;
  /** Second abort: stop following right away. */
  detachSignal?: AbortSignal;
  /** Job log text (stdout). */
  output(text: string): void;
  /** Progress and diagnostics (stderr). */
  log(line: string): void;
}

export interface SubmitResult {
  submissionId: string;
  dashboardUrl: string;
  /** The final status when followed; undefined when not followed (or detached). */
  status: JobStatus | undefined;
  exitCode: number;
}

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)/i;

/**
 * `judgeflow submit eval.yaml --ray URL`: packages the eval file's folder, uploads it when the cluster
 * does not have it yet, and submits a Ray job that runs `judgeflow run … --executor ray` inside the
 * cluster. Secrets never travel: the job gets only names (metadata `required_env`); the cluster
 * provides the values as environment variables.
 */
export async function submitEvalFile(request: SubmitRequest): Promise<SubmitResult> {
  const dashboard = resolveDashboardUrl(request.rayUrl, request.env);
  const loaded = await loadEvalFile(path.resolve(request.cwd, request.evalPath));
  const root = path.resolve(request.cwd, request.root ?? loaded.baseDir);
  const evalRelative = toPosix(path.relative(root, loaded.path));
  if (evalRelative.startsWith('..')) {
    throw new ConfigError(`the eval file ${loaded.path} is outside --root ${root}`, { field: 'root' });
  }
  checkReferencedFiles(loaded.config, loaded.baseDir, root, loaded.path);

  const envVars: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.envVars ?? {})) {
    if (SECRET_NAME.test(name)) {
      throw new ConfigError(
        `--env ${name}=… looks like a secret: job environment variables are shown in the Ray Dashboard. Give the cluster the value as an environment variable (a Kubernetes Secret) instead`,
        { field: 'env' },
      );
    }
    envVars[name] = value;
  }
  const trackingUri = request.trackingUri ?? request.env.mlflowTrackingUri;
  if (trackingUri !== undefined) {
    checkTrackingUri(trackingUri, dashboard);
    envVars.MLFLOW_TRACKING_URI = trackingUri;
  } else if (!(request.runArgs ?? []).includes('--no-mlflow')) {
    request.log(
      'judgeflow: no MLFLOW_TRACKING_URI: the job logs to a local MLflow server inside the cluster unless the cluster sets MLFLOW_TRACKING_URI',
    );
  }

  const client = new RayJobsClient({
    baseUrl: dashboard,
    userAgent: `judgeflow/${judgeflowVersion()}`,
    ...(request.env.rayAuthToken !== undefined ? { token: request.env.rayAuthToken } : {}),
  });
  const version = await client.version();
  request.log(`judgeflow: Ray ${version.ray_version} at ${client.baseUrl}`);

  const pkg = await packageDirectory(root, {
    maxBytes: request.maxPackageBytes ?? MAX_PACKAGE_BYTES,
    ...(request.include !== undefined ? { include: request.include } : {}),
  });
  for (const line of describePackage(pkg, root)) request.log(line);
  if (await client.packageExists(pkg.name)) {
    request.log(`judgeflow: package ${pkg.name} is already on the cluster (${pkg.files.length} files)`);
  } else {
    request.log(
      `judgeflow: uploading ${pkg.name} (${pkg.files.length} files, ${(pkg.zip.length / 1024).toFixed(1)} KiB)`,
    );
    await client.uploadPackage(pkg.name, pkg.zip);
  }

  const command = request.judgeflowCommand ?? 'judgeflow';
  const runArgs = [
    'run',
    evalRelative,
    '--executor',
    'ray',
    '--ray-address',
    'auto',
    ...(request.workers !== undefined ? ['--workers', String(request.workers)] : []),
    ...(request.workerConcurrency !== undefined
      ? ['--worker-concurrency', String(request.workerConcurrency)]
      : []),
    ...(request.runArgs ?? []),
  ];
  const entrypoint = `${command} ${runArgs.map(shellQuote).join(' ')}`;
  const submissionId = request.submissionId ?? defaultSubmissionId();
  const jobName =
    request.jobName ??
    `judgeflow ${loaded.config.experiment ?? 'judgeflow'}/${loaded.config.run_name ?? path.basename(loaded.path)}`;
  const required = requiredEnvNames(loaded.config);
  const metadata: Record<string, string> = {
    job_name: jobName,
    judgeflow_version: judgeflowVersion(),
    eval_file: evalRelative,
    ...(required.length > 0 ? { required_env: required.join(',') } : {}),
  };
  await client.submit({
    entrypoint,
    submission_id: submissionId,
    runtime_env: {
      working_dir: `gcs://${pkg.name}`,
      ...(Object.keys(envVars).length > 0 ? { env_vars: envVars } : {}),
    },
    metadata,
    ...(request.entrypointNumCpus !== undefined ? { entrypoint_num_cpus: request.entrypointNumCpus } : {}),
  });
  const dashboardUrl = `${client.baseUrl}/#/jobs/${submissionId}`;
  request.log(`judgeflow: submitted ${submissionId} — ${dashboardUrl}`);
  if (required.length > 0) {
    request.log(`judgeflow: the job reads ${required.join(', ')} from the cluster's environment`);
  }
  if (!request.follow) {
    request.log(
      `judgeflow: follow it with: judgeflow jobs logs ${submissionId} --ray ${client.baseUrl} --follow`,
    );
    return { submissionId, dashboardUrl, status: undefined, exitCode: 0 };
  }
  const details = await followUntilDone(client, submissionId, request);
  return {
    submissionId,
    dashboardUrl,
    status: details?.status,
    exitCode: details === undefined ? 130 : exitCodeForJob(details),
  };
}

/**
 * Follows a job's logs to its end. The first `stopSignal` abort stops the job (following goes on so
 * its last lines are shown); a `detachSignal` abort returns at once (undefined).
 */
export async function followUntilDone(
  client: RayJobsClient,
  id: string,
  io: Pick<SubmitRequest, 'output' | 'log' | 'stopSignal' | 'detachSignal'>,
): Promise<JobDetails | undefined> {
  const onStop = () => {
    io.log(`judgeflow: stopping job ${id}`);
    client
      .stop(id)
      .catch((error: unknown) => io.log(`judgeflow: stopping ${id} failed: ${(error as Error).message}`));
  };
  if (io.stopSignal?.aborted) onStop();
  else io.stopSignal?.addEventListener('abort', onStop, { once: true });
  try {
    await followJobLogs(client, id, {
      onText: io.output,
      log: io.log,
      ...(io.detachSignal !== undefined ? { signal: io.detachSignal } : {}),
    });
    // The tail closes when the job's logs end; its status may lag a moment behind.
    for (;;) {
      if (io.detachSignal?.aborted) return undefined;
      const details = await client.get(id);
      if (TERMINAL_STATUSES.includes(details.status)) {
        io.log(`judgeflow: job ${id} ${details.status}${details.message ? `: ${details.message}` : ''}`);
        return details;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    io.stopSignal?.removeEventListener('abort', onStop);
  }
}

/**
 * The CLI's exit code for a finished job: SUCCEEDED 0; STOPPED 130 (interrupted); FAILED the driver's
 * own exit code when Ray reports one (judgeflow's codes: 1 gate failed, 2 invalid input, 3 pending
 * MLflow writes), else 1.
 */
export function exitCodeForJob(details: JobDetails): number {
  switch (details.status) {
    case 'SUCCEEDED':
      return 0;
    case 'STOPPED':
      return 130;
    case 'FAILED': {
      const code = details.driver_exit_code;
      return typeof code === 'number' && code > 0 && code < 256 ? code : 1;
    }
    default:
      return 1;
  }
}

/** `--ray`, else RAY_API_SERVER_ADDRESS, else RAY_ADDRESS when it is a URL. */
export function resolveDashboardUrl(flag: string | undefined, env: Env): string {
  const url =
    flag ??
    env.rayApiServerAddress ??
    (env.rayAddress !== undefined && /^https?:\/\//.test(env.rayAddress) ? env.rayAddress : undefined);
  if (url === undefined) {
    throw new ConfigError('no Ray dashboard: pass --ray http://HEAD:8265 or set RAY_API_SERVER_ADDRESS', {
      field: 'ray',
    });
  }
  return url;
}

/**
 * The cluster must be able to reach MLflow: a loopback or file tracking URI only works when the Ray
 * cluster runs on this machine too. Credentials in the URI would land in the dashboard, so they are refused.
 */
export function checkTrackingUri(trackingUri: string, dashboardUrl: string): void {
  const rayLocal = isLoopbackHost(hostOf(dashboardUrl));
  let parsed: URL | undefined;
  try {
    parsed = new URL(trackingUri);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.protocol === 'file:') {
    if (!rayLocal) {
      throw new ConfigError(
        `MLFLOW_TRACKING_URI ${trackingUri} is a local path; a remote Ray cluster cannot write there. Use an MLflow server the cluster can reach`,
        { field: 'tracking_uri' },
      );
    }
    return;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(
      'MLFLOW_TRACKING_URI contains credentials, which would be shown in the Ray Dashboard; let the cluster provide MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN',
      { field: 'tracking_uri' },
    );
  }
  if (isLoopbackHost(parsed.hostname) && !rayLocal) {
    throw new ConfigError(
      `MLFLOW_TRACKING_URI ${trackingUri} points at this machine, which the Ray cluster at ${dashboardUrl} cannot reach. Use an MLflow server the cluster can reach (see k8s/mlflow.yaml)`,
      { field: 'tracking_uri' },
    );
  }
}

function hostOf(url: string): string {
  try {
    return new URL(/^https?:\/\//.test(url) ? url : `http://${url}`).hostname;
  } catch {
    return url;
  }
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    bare === 'localhost' ||
    bare.endsWith('.localhost') ||
    bare === '::1' ||
    bare === '0.0.0.0' ||
    /^127\.\d+\.\d+\.\d+$/.test(bare)
  );
}

/** Names (never values) of the environment variables the eval file needs from the cluster. */
export function requiredEnvNames(config: EvalFile): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'api_key_env' && typeof inner === 'string') names.add(inner);
        else visit(inner);
      }
    }
  };
  visit(config.model);
  visit(config.judge);
  visit(config.scorers);
  const judgeModel = typeof config.judge?.model === 'string' ? config.judge.model : undefined;
  if (judgeModel?.startsWith('openai:') === true || config.model?.provider === 'openai')
    names.add('OPENAI_API_KEY');
  return [...names].sort();
}

/** Files the eval file names must be inside the packaged folder, or the job cannot find them. */
function checkReferencedFiles(config: EvalFile, baseDir: string, root: string, file: string): void {
  const referenced: Array<{ field: string; value: string }> = [];
  if ('path' in config.dataset) referenced.push({ field: 'dataset.path', value: config.dataset.path });
  if (config.model?.provider === 'module') referenced.push({ field: 'model.path', value: config.model.path });
  config.scorers.forEach((entry, i) => {
    if (typeof entry === 'string') return;
    for (const [key, value] of Object.entries(entry)) {
      if (typeof value === 'string' && (key === 'path' || key.endsWith('_path'))) {
        referenced.push({ field: `scorers[${i}].${key}`, value });
      }
    }
  });
  for (const { field, value } of referenced) {
    const absolute = path.resolve(baseDir, value);
    if (path.relative(root, absolute).startsWith('..')) {
      throw new ConfigError(
        `${field} (${value}) is outside ${root}, the folder submit ships to the cluster; move it inside or pass --root with a parent folder`,
        { file, field },
      );
    }
  }
}

function defaultSubmissionId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `judgeflow-${stamp}-${randomBytes(3).toString('hex')}`;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Quotes a word for the POSIX shell Ray runs the entrypoint with. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
