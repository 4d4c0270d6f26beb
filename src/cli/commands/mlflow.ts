import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { metricsFromResultsFile } from '../../app/results-metrics.js';
import { type Env, readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { MlflowClient } from '../../sinks/mlflow/client.js';
import { migrateStore } from '../../sinks/mlflow/local-server/migrate-store.js';
import { serverFolder } from '../../sinks/mlflow/local-server/store.js';
import {
  type LocalStoreKind,
  mlflowDown,
  mlflowStatus,
  mlflowUp,
  resolveTrackingUri,
} from '../../sinks/mlflow/server.js';
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

/** Options of `judgeflow mlflow up`. */
export interface MlflowUpCommandOptions {
  port?: number;
  store?: LocalStoreKind;
  workers?: number;
  backendStoreUri?: string;
  artifactsDestination?: string;
}

/**
 * `judgeflow mlflow up [--port N] [--store postgres|sqlite] [--workers N] [--backend-store-uri URI]
 * [--artifacts-destination DEST]`: starts (or finds) the local server and prints its UI URL.
 */
export async function mlflowUpCommand(options: MlflowUpCommandOptions, io: MlflowCommandIo): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  try {
    const up = await mlflowUp({
      home: env.home,
      env,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.store !== undefined ? { store: options.store } : {}),
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      ...(options.backendStoreUri !== undefined ? { backendStoreUri: options.backendStoreUri } : {}),
      ...(options.artifactsDestination !== undefined
        ? { artifactsDestination: options.artifactsDestination }
        : {}),
      log: (line) => io.stderr.write(`${line}\n`),
    });
    io.stdout.write(
      `${up.alreadyRunning ? 'MLflow is already running' : 'MLflow started'} (pid ${up.pid}` +
        `${up.postgresPid !== undefined ? `, PostgreSQL pid ${up.postgresPid}` : ''}): ${up.uri}\n` +
        `  store: ${up.storeDescription}\n` +
        `MLflow UI: ${up.uri}\n` +
        'It keeps running in the background (runs reuse it); `judgeflow mlflow down` stops it.\n',
    );
    return 0;
  } catch (error) {
    return printError(error, io);
  }
}

/** `judgeflow mlflow down`: stops the local server judgeflow started, and its PostgreSQL. */
export async function mlflowDownCommand(io: MlflowCommandIo): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  try {
    const down = await mlflowDown({ home: env.home });
    const stopped = [
      down.pid !== undefined ? `pid ${down.pid}` : undefined,
      down.postgresPid !== undefined ? `PostgreSQL pid ${down.postgresPid}` : undefined,
    ].filter((part) => part !== undefined);
    io.stdout.write(
      down.stopped ? `MLflow stopped (${stopped.join(', ')})\n` : 'the local MLflow server is not running\n',
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
      const postgres =
        r.postgres !== undefined
          ? `  PostgreSQL: ${status.postgresRunning === true ? 'running' : 'NOT running'} (pid ${r.postgres.pid}, 127.0.0.1:${r.postgres.port}, data ${r.postgres.data}, log ${r.postgres.log})\n`
          : '';
      io.stdout.write(
        `local MLflow: ${status.healthy ? 'running' : 'starting or not answering'} — ${r.uri} (pid ${r.pid}` +
          `${status.version !== undefined ? `, MLflow ${status.version}` : ''}` +
          `${r.workers !== undefined ? `, ${r.workers} workers` : ''})\n` +
          `  store: ${r.backend_store ?? `SQLite (${env.home}/mlflow/mlflow.db)`}\n` +
          postgres +
          `  artifacts: ${r.artifacts ?? `${env.home}/mlflow/artifacts`}\n` +
          `  log: ${r.log}\n` +
          `  started ${r.started_at}; it keeps running after runs end (they reuse it) until \`judgeflow mlflow down\`\n`,
      );
    } else {
      io.stdout.write(
        'local MLflow: not running (`judgeflow mlflow up` starts it; a run without a tracking URI too)\n',
      );
    }
    if (env.mlflowTrackingUri !== undefined) {
      io.stdout.write(`runs log to MLFLOW_TRACKING_URI=${redactUrl(env.mlflowTrackingUri)}\n`);
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

/** Options of `judgeflow mlflow migrate-store`. */
export interface MlflowMigrateStoreOptions {
  to: string;
  from?: string;
  targetUri?: string;
}

/**
 * `judgeflow mlflow migrate-store --to postgres [--from FILE] [--target-uri URI]`: copies the local
 * SQLite store into judgeflow's PostgreSQL (which the local server then uses) or into `--target-uri`.
 */
export async function mlflowMigrateStoreCommand(
  options: MlflowMigrateStoreOptions,
  io: MlflowCommandIo,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  try {
    if (options.to !== 'postgres') {
      throw new ConfigError(`--to ${options.to}: only \`--to postgres\` is supported (from a SQLite store)`, {
        field: 'to',
      });
    }
    const migration = await migrateStore({
      home: env.home,
      env,
      folder: serverFolder(path.join(env.home, 'mlflow')),
      ...(options.from !== undefined ? { sourceFile: path.resolve(io.cwd, options.from) } : {}),
      ...(options.targetUri !== undefined ? { targetUri: options.targetUri } : {}),
      log: (line) => io.stderr.write(`${line}\n`),
    });
    const filled = Object.entries(migration.tables).filter(([, rows]) => rows > 0);
    io.stdout.write(
      `migrated ${migration.rows} rows in ${filled.length} tables from ${migration.source} to ${migration.target} (schema ${migration.revision}); every table's row count matches\n`,
    );
    for (const [table, rows] of filled) io.stdout.write(`  ${table.padEnd(32)} ${rows}\n`);
    io.stdout.write(
      options.targetUri === undefined
        ? `the local server now uses PostgreSQL (\`judgeflow mlflow up\`); ${migration.source} is kept as it was and no longer used\n`
        : `start a server on it: judgeflow mlflow up --backend-store-uri <that URI>\n`,
    );
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

function storeKind(value: string): LocalStoreKind {
  if (value !== 'postgres' && value !== 'sqlite')
    throw new InvalidArgumentError(`invalid store "${value}" (postgres or sqlite)`);
  return value;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`invalid number "${value}" (a whole number ≥ 1)`);
  return n;
}

/** A URL with its password and token-like query values hidden, for printing. */
function redactUrl(url: string): string {
  return url.replace(/(\/\/[^/@:]*):[^/@]*@/, '$1:***@');
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidArgumentError(`invalid port "${value}"`);
  return port;
}

export function registerMlflowCommands(program: Command, setExitCode: (code: number) => void): void {
  const mlflow = program
    .command('mlflow')
    .description('the local MLflow server (up, down, status, migrate-store), and sending spooled writes');
  mlflow
    .command('up')
    .description(
      'start the local MLflow server (PostgreSQL store by default, artifacts in the data folder); it keeps running until `mlflow down`',
    )
    .option('--port <port>', 'port (default 5000, or the next free one)', portNumber)
    .option(
      '--store <store>',
      'the store judgeflow runs: postgres or sqlite (default: the one the data folder uses, else postgres; env JUDGEFLOW_MLFLOW_STORE)',
      storeKind,
    )
    .option('--workers <n>', 'uvicorn workers of the server (default 2)', positiveInteger)
    .option(
      '--backend-store-uri <uri>',
      "a database judgeflow does not run, e.g. a team's postgresql+psycopg2://USER:PASSWORD@HOST:5432/mlflow (env JUDGEFLOW_MLFLOW_BACKEND_STORE_URI)",
    )
    .option(
      '--artifacts-destination <dest>',
      'where artifacts go: a folder or s3://bucket/path (env JUDGEFLOW_MLFLOW_ARTIFACTS_DESTINATION)',
    )
    .action(async (options: MlflowUpCommandOptions) => {
      setExitCode(await mlflowUpCommand(options, processIo()));
    });
  mlflow
    .command('down')
    .description('stop the local MLflow server and its PostgreSQL')
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
    .command('migrate-store')
    .description(
      'copy the local SQLite store into PostgreSQL (checked table by table); stop the server first',
    )
    .requiredOption('--to <store>', 'the store to copy into: postgres')
    .option('--from <file>', "the SQLite file (default: the data folder's mlflow.db)")
    .option('--target-uri <uri>', 'copy into this PostgreSQL instead of the one judgeflow runs')
    .action(async (options: MlflowMigrateStoreOptions) => {
      setExitCode(await mlflowMigrateStoreCommand(options, processIo()));
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
