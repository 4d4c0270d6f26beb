import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { metricsFromResultsFile } from '../../app/results-metrics.js';
import { type Env, readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { MlflowClient } from '../../sinks/mlflow/client.js';
import { mlflowDown, mlflowStatus, mlflowUp, resolveTrackingUri } from '../../sinks/mlflow/server.js';
import { Spool } from '../../sinks/mlflow/spool.js';
import { resolveSyncTarget, syncSpool } from '../../sinks/mlflow/sync.js';
import { reportError } from '../report-error.js';
import { processIo } from './run.js';

/** What the MLflow-related command handlers need from the process: testable without spawning one. */
export interface MlflowCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

export function printError(error: unknown, io: MlflowCommandIo): number {
  return reportError(error, io.stderr, { env: io.env });
}

/** A client for `--tracking-uri`, MLFLOW_TRACKING_URI, or the local server (started if needed). */
export async function trackingClient(
  env: Env,
  flag: string | undefined,
  io: MlflowCommandIo,
): Promise<MlflowClient> {
  const target = await resolveTrackingUri({
    env,
    flag,
    home: env.home,
    log: (line) => io.stderr.write(`${line}\n`),
  });
  if (target === undefined) throw new ConfigError('MLflow is needed for this command');
  return new MlflowClient({ trackingUri: target.uri, env });
}

/** `judgeflow mlflow up [--port N]`: starts (or finds) the local server and prints its UI URL. */
export async function mlflowUpCommand(options: { port?: number }, io: MlflowCommandIo): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  try {
    const up = await mlflowUp({
      home: env.home,
      env,
      ...(options.port !== undefined ? { port: options.port } : {}),
      log: (line) => io.stderr.write(`${line}\n`),
    });
    io.stdout.write(
      `${up.alreadyRunning ? 'MLflow is already running' : 'MLflow started'} (pid ${up.pid}): ${up.uri}\n` +
        `MLflow UI: ${up.uri}\n`,
    );
    return 0;
  } catch (error) {
    return printError(error, io);
  }
}

/** `judgeflow mlflow down`: stops the local server judgeflow started. */
export async function mlflowDownCommand(io: MlflowCommandIo): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  try {
    const down = await mlflowDown({ home: env.home });
    io.stdout.write(
      down.stopped ? `MLflow stopped (pid ${down.pid})\n` : 'the local MLflow server is not running\n',
    );
    return 0;
  } catch (error) {
    return printError(error, io);
  }
}

/** `judgeflow mlflow status`: what runs where, and where a run would log. */
export async function mlflowStatusCommand(io: MlflowCommandIo): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  try {
    const status = await mlflowStatus({ home: env.home, env });
    if (status.record !== undefined && status.running) {
      const r = status.record;
      io.stdout.write(
        `local MLflow: ${status.healthy ? 'running' : 'starting or not answering'} — ${r.uri} (pid ${r.pid}` +
          `${status.version !== undefined ? `, MLflow ${status.version}` : ''})\n` +
          `  store: ${env.home}/mlflow (log ${r.log})\n`,
      );
    } else {
      io.stdout.write('local MLflow: not running (`judgeflow mlflow up` starts it)\n');
    }
    if (env.mlflowTrackingUri !== undefined) {
      io.stdout.write(`runs log to MLFLOW_TRACKING_URI=${env.mlflowTrackingUri}\n`);
    } else {
      io.stdout.write(
        'runs log to the local server (set MLFLOW_TRACKING_URI or --tracking-uri to use another)\n',
      );
    }
    return 0;
  } catch (error) {
    return printError(error, io);
  }
}

/**
 * `judgeflow mlflow sync <out-dir>`: sends the writes a run left in `<out-dir>/mlflow-spool/`.
 * Exit 0 when everything is delivered (or nothing was pending), 3 when some writes are still waiting.
 */
export async function mlflowSyncCommand(
  outDir: string,
  options: { trackingUri?: string },
  io: MlflowCommandIo,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  let client: MlflowClient | undefined;
  outDir = path.resolve(io.cwd, outDir);
  try {
    const spool = new Spool(outDir);
    const state = Spool.existsIn(outDir) ? await spool.readState() : undefined;
    if (state === undefined) {
      io.stdout.write(`nothing to sync in ${outDir}\n`);
      return 0;
    }
    // Credentials go only to the server the user configured (--tracking-uri, MLFLOW_TRACKING_URI, else
    // the local server), never to one the spool folder names.
    const target = await resolveSyncTarget({
      env,
      flag: options.trackingUri,
      spoolUri: state.tracking_uri,
      log: (line) => io.stderr.write(`${line}\n`),
    });
    client = new MlflowClient({ trackingUri: target.uri, env });
    const report = await syncSpool({
      outDir,
      client,
      explicitTarget: options.trackingUri !== undefined,
      targetSource: target.source,
      log: (line) => io.stderr.write(`${line}\n`),
      metricsFromResults: metricsFromResultsFile,
    });
    io.stdout.write(
      `synced ${report.rowsWritten} row(s)${report.finished ? ', finished the run' : ''}` +
        `${report.url !== undefined ? `: ${report.url}` : ''}\n`,
    );
    for (const message of report.errors.slice(0, 10)) io.stderr.write(`  ${message}\n`);
    if (report.remaining > 0) {
      io.stderr.write(
        `${report.remaining} write(s) still waiting in ${spool.dir}; run this command again later\n`,
      );
      return 3;
    }
    return 0;
  } catch (error) {
    return printError(error, io);
  } finally {
    await client?.close();
  }
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidArgumentError(`invalid port "${value}"`);
  return port;
}

export function registerMlflowCommands(program: Command, setExitCode: (code: number) => void): void {
  const mlflow = program.command('mlflow').description('the local MLflow server, and sending spooled writes');
  mlflow
    .command('up')
    .description('start the local MLflow server (SQLite store and artifacts in the data folder)')
    .option('--port <port>', 'port (default 5000, or the next free one)', portNumber)
    .action(async (options: { port?: number }) => {
      setExitCode(await mlflowUpCommand(options, processIo()));
    });
  mlflow
    .command('down')
    .description('stop the local MLflow server')
    .action(async () => {
      setExitCode(await mlflowDownCommand(processIo()));
    });
  mlflow
    .command('status')
    .description('what runs where')
    .action(async () => {
      setExitCode(await mlflowStatusCommand(processIo()));
    });
  mlflow
    .command('sync')
    .description(
      "send a run's spooled MLflow writes (after an outage, or --no-wait), or complete a run whose process died (it ends KILLED); safe to repeat",
    )
    .argument('<out-dir>', "the run's output folder")
    .option(
      '--tracking-uri <uri>',
      'send to this server (default MLFLOW_TRACKING_URI, else the local server); needed to send a spool to a server other than the configured one',
    )
    .action(async (outDir: string, options: { trackingUri?: string }) => {
      setExitCode(await mlflowSyncCommand(outDir, options, processIo()));
    });
}
