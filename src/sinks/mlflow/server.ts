import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Env } from '../../config/env.js';
import { ConfigError, InfrastructureError } from '../../core/errors.js';
import { withStartLock } from './local-server/lock.js';
import {
  answersHealth,
  redactStoreUri,
  serverVersion,
  waitForMlflowHealth,
} from './local-server/mlflow-process.js';
import { postgresBinDir, postgresLaunch, runningPostmaster, stopPostgres } from './local-server/postgres.js';
import { localHost, portIsFree, processAlive, stopProcessGroup } from './local-server/processes.js';
import { startServerProcesses } from './local-server/start.js';
import {
  describeStore,
  type LocalStoreKind,
  normalizeBackendStoreUri,
  resolveStoreChoice,
  type ServerFolder,
  serverFolder,
  writeStoreMarker,
} from './local-server/store.js';

export { mlflowServerLaunch, sqliteStoreUri, waitForMlflowHealth } from './local-server/mlflow-process.js';
export { portIsFree, stopProcessGroup } from './local-server/processes.js';
export type { LocalStoreKind } from './local-server/store.js';

/** What `<home>/mlflow/server.json` records about the local server judgeflow started. */
export const serverRecordSchema = z.object({
  pid: z.number(),
  host: z.string(),
  port: z.number(),
  uri: z.string(),
  started_at: z.string(),
  log: z.string(),
  /** Records written before PostgreSQL existed have no store: they were SQLite. */
  store: z.enum(['sqlite', 'postgres', 'external']).default('sqlite'),
  /** The store URI, password redacted. */
  backend_store: z.string().optional(),
  artifacts: z.string().optional(),
  workers: z.number().optional(),
  postgres: z.object({ pid: z.number(), port: z.number(), data: z.string(), log: z.string() }).optional(),
});
export type MlflowServerRecord = z.infer<typeof serverRecordSchema>;

export interface MlflowServerStatus {
  /** The recorded server's process is alive. */
  running: boolean;
  /** It answers `/health`. */
  healthy: boolean;
  /** The recorded PostgreSQL's process is alive (undefined when the store is not the local PostgreSQL). */
  postgresRunning?: boolean;
  record?: MlflowServerRecord;
  /** Its MLflow version, when it answers. */
  version?: string;
}

const defaultPort = 5000;
/**
 * uvicorn workers of the local server. On the 2-core machine of bench/RESULTS.md ("Issue 9 —
 * PostgreSQL store") 4 workers gained no steady throughput over 2, cost as much or more CPU per row,
 * memory and boot time, and on SQLite failed requests under load.
 */
export const defaultServerWorkers = 2;

async function readRecord(folder: ServerFolder): Promise<MlflowServerRecord | undefined> {
  if (!existsSync(folder.record)) return undefined;
  try {
    const parsed = serverRecordSchema.safeParse(JSON.parse(await readFile(folder.record, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What runs where: the recorded local server, whether its processes live and whether it answers. */
export async function mlflowStatus(options: { home: string; env?: Env }): Promise<MlflowServerStatus> {
  const record = await readRecord(serverFolder(path.join(options.home, 'mlflow')));
  if (record === undefined) return { running: false, healthy: false };
  const running = processAlive(record.pid, 'mlflow');
  const postgresRunning =
    record.postgres !== undefined ? processAlive(record.postgres.pid, record.postgres.data) : undefined;
  const healthy = running && postgresRunning !== false && (await answersHealth(record.uri));
  const version = healthy ? await serverVersion(record.uri, options.env) : undefined;
  return {
    running,
    healthy,
    record,
    ...(postgresRunning !== undefined ? { postgresRunning } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}

export interface MlflowUpResult {
  uri: string;
  port: number;
  pid: number;
  /** The server was already running (nothing was started). */
  alreadyRunning: boolean;
  /** The default port was taken, so another one was chosen. */
  portChanged: boolean;
  store: MlflowServerRecord['store'];
  /** The store, for messages: `PostgreSQL (<data folder>)`, `SQLite (<file>)`, or the redacted URI. */
  storeDescription: string;
  postgresPid?: number;
}

export interface MlflowUpOptions {
  home: string;
  env: Env;
  port?: number;
  workers?: number;
  /** `--store`: a store judgeflow runs (see `resolveStoreChoice` for the default). */
  store?: LocalStoreKind;
  /** `--backend-store-uri`: a database judgeflow does not run (a team's PostgreSQL). */
  backendStoreUri?: string;
  /** `--artifacts-destination`: a folder or `s3://bucket/path`; default `<home>/mlflow/artifacts`. */
  artifactsDestination?: string;
  /** `--app-name` of `mlflow server`; default `judgeflow` (judgeflow's batch writer). */
  appName?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Starts the local MLflow server from the `mlflow` venv — by default on a PostgreSQL judgeflow runs
 * from `<home>/mlflow/postgres/` (SQLite at `<home>/mlflow/mlflow.db` on request), artifacts in
 * `<home>/mlflow/artifacts` behind the artifact proxy — detached, so it outlives the CLI (and keeps
 * running after a run until `judgeflow mlflow down`). Records pids, ports and store in
 * `<home>/mlflow/server.json` and waits until it answers. An explicit `port` that something else
 * holds is an error naming it (never fought over); without one, 5000 or the next free port is used.
 */
export async function mlflowUp(options: MlflowUpOptions): Promise<MlflowUpResult> {
  const folder = serverFolder(path.join(options.home, 'mlflow'));
  return withStartLock(folder, () => upLocked(folder, options));
}

async function upLocked(folder: ServerFolder, options: MlflowUpOptions): Promise<MlflowUpResult> {
  const log = options.log ?? (() => undefined);
  const { env } = options;
  const status = await mlflowStatus({ home: options.home, env });
  const explicitStore = options.store !== undefined || options.backendStoreUri !== undefined;
  if (status.running && status.record !== undefined && status.postgresRunning !== false) {
    const record = status.record;
    const conflict =
      options.port !== undefined && options.port !== record.port
        ? `port ${record.port}`
        : explicitStore && !sameStore(record, options)
          ? `store ${record.backend_store ?? record.store}`
          : options.artifactsDestination !== undefined &&
              record.artifacts !== undefined &&
              artifactsLocation(options.artifactsDestination) !== record.artifacts
            ? `artifacts in ${record.artifacts}`
            : undefined;
    if (conflict !== undefined) {
      throw new ConfigError(
        `the local MLflow server already runs with ${conflict} (pid ${record.pid}); run \`judgeflow mlflow down\` first to start it differently`,
        {
          field: conflict.startsWith('port') ? 'port' : conflict.startsWith('store') ? 'store' : 'artifacts',
        },
      );
    }
    if (!status.healthy)
      await waitForMlflowHealth({ uri: record.uri, timeoutMs: options.timeoutMs ?? 60_000 });
    return {
      uri: record.uri,
      port: record.port,
      pid: record.pid,
      alreadyRunning: true,
      portChanged: false,
      store: record.store,
      storeDescription: record.backend_store ?? record.store,
      ...(record.postgres !== undefined ? { postgresPid: record.postgres.pid } : {}),
    };
  }
  // Whatever is left of a server that died (or whose PostgreSQL died) goes before a fresh start.
  if (status.record !== undefined) {
    log('the recorded local MLflow server is not running whole; cleaning up before starting it again');
    await stopRecorded(status.record, folder);
  }

  let { choice, source } = await resolveStoreChoice({
    folder,
    env,
    ...(options.store !== undefined ? { store: options.store } : {}),
    ...(options.backendStoreUri !== undefined ? { backendStoreUri: options.backendStoreUri } : {}),
  });
  if (choice.kind === 'postgres' && source === 'default') {
    // The default must not make judgeflow unusable where PostgreSQL cannot run (root without user
    // namespaces): say why and use SQLite. A store the user chose fails loudly instead.
    try {
      await postgresLaunch(await postgresBinDir(options.home), { ...env.raw });
    } catch (error) {
      if (!(error instanceof InfrastructureError)) throw error;
      log(`${error.message}\nusing the SQLite store instead`);
      choice = { kind: 'sqlite' };
    }
  }
  const artifactsDestination = artifactsLocation(
    options.artifactsDestination ?? env.mlflowLocalArtifactsDestination ?? folder.artifacts,
  );
  const port = await choosePort(options.port, env, log);
  const workers = options.workers ?? defaultServerWorkers;
  const uri = `http://${localHost}:${port}`;
  const storeDescription = describeStore(choice, folder, redactStoreUri);
  const startedAt = new Date().toISOString();
  log(`starting the local MLflow server on ${uri} (store ${storeDescription}, log ${folder.log})`);
  const writeRecord = async (pids: { pid: number; postgres?: { pid: number; port: number } }) => {
    const record: MlflowServerRecord = {
      pid: pids.pid,
      host: localHost,
      port,
      uri,
      started_at: startedAt,
      log: folder.log,
      store: choice.kind,
      backend_store: storeDescription,
      artifacts: artifactsDestination,
      workers,
      ...(pids.postgres !== undefined
        ? {
            postgres: {
              pid: pids.postgres.pid,
              port: pids.postgres.port,
              data: folder.postgres.data,
              log: folder.postgres.log,
            },
          }
        : {}),
    };
    await writeFile(folder.record, `${JSON.stringify(record, null, 2)}\n`);
  };
  let started: Awaited<ReturnType<typeof startServerProcesses>>;
  try {
    started = await startServerProcesses({
      home: options.home,
      folder,
      store: choice,
      artifactsDestination,
      port,
      workers,
      // judgeflow's batch writer (python/judgeflow_mlflow): many rows in one transaction; every stock
      // route stays as it is, and clients without it use the REST path.
      appName: options.appName ?? 'judgeflow',
      source: env.raw,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      onSpawned: writeRecord,
      log,
    });
  } catch (error) {
    await rm(folder.record, { force: true });
    throw error;
  }
  if (choice.kind !== 'external') await writeStoreMarker(folder, choice.kind);
  return {
    uri,
    port,
    pid: started.pid,
    alreadyRunning: false,
    portChanged: options.port === undefined && port !== defaultPort,
    store: choice.kind,
    storeDescription,
    ...(started.postgres !== undefined ? { postgresPid: started.postgres.pid } : {}),
  };
}

/** A remote artifact store as given; a local folder as an absolute path. */
function artifactsLocation(destination: string): string {
  return /^[a-z][\w+.-]*:\/\//i.test(destination) ? destination : path.resolve(destination);
}

function sameStore(record: MlflowServerRecord, options: MlflowUpOptions): boolean {
  if (options.store !== undefined) return record.store === options.store;
  if (options.backendStoreUri !== undefined) {
    const uri = normalizeBackendStoreUri(options.backendStoreUri, '--backend-store-uri');
    return record.store === 'external' && record.backend_store === redactStoreUri(uri);
  }
  return true;
}

async function choosePort(
  explicit: number | undefined,
  env: Env,
  log: (line: string) => void,
): Promise<number> {
  if (explicit !== undefined) {
    if (await portIsFree(explicit)) return explicit;
    const version = await serverVersion(`http://${localHost}:${explicit}`, env);
    throw new ConfigError(
      `port ${explicit} is already in use${version !== undefined ? ` by an MLflow ${version} server judgeflow did not start (use it with --tracking-uri http://${localHost}:${explicit})` : ' by another program'}; choose another with --port`,
      { field: 'port' },
    );
  }
  for (let port = defaultPort; port < defaultPort + 100; port++) {
    if (await portIsFree(port)) {
      if (port !== defaultPort)
        log(`port ${defaultPort} is in use; the local MLflow server uses port ${port}`);
      return port;
    }
  }
  throw new InfrastructureError(
    `no free port between ${defaultPort} and ${defaultPort + 99} for the local MLflow server; pass --port`,
    { component: 'mlflow' },
  );
}

/** Stops what a record names: the MLflow server's process group, then its PostgreSQL. */
async function stopRecorded(
  record: MlflowServerRecord,
  folder: ServerFolder,
  timeoutMs = 15_000,
): Promise<{ mlflowStopped: boolean; postgresStopped: boolean }> {
  const mlflowStopped = processAlive(record.pid, 'mlflow');
  if (mlflowStopped) await stopProcessGroup(record.pid, timeoutMs);
  let postgresStopped = false;
  if (record.postgres !== undefined) {
    postgresStopped = await stopPostgres({ pid: record.postgres.pid, data: record.postgres.data });
  }
  // A PostgreSQL this folder's record lost track of still holds the data folder.
  const orphan = runningPostmaster(folder.postgres.data);
  if (orphan !== undefined)
    postgresStopped = (await stopPostgres({ pid: orphan, data: folder.postgres.data })) || postgresStopped;
  await rm(folder.record, { force: true });
  return { mlflowStopped, postgresStopped };
}

/** Stops the recorded local server (its whole process group, then its PostgreSQL) and forgets it. */
export async function mlflowDown(options: {
  home: string;
  timeoutMs?: number;
}): Promise<{ stopped: boolean; pid?: number; postgresPid?: number }> {
  const folder = serverFolder(path.join(options.home, 'mlflow'));
  const record = await readRecord(folder);
  if (record === undefined) {
    const orphan = runningPostmaster(folder.postgres.data);
    if (orphan === undefined) return { stopped: false };
    await stopPostgres({ pid: orphan, data: folder.postgres.data });
    return { stopped: true, postgresPid: orphan };
  }
  const { mlflowStopped, postgresStopped } = await stopRecorded(record, folder, options.timeoutMs);
  return {
    stopped: mlflowStopped || postgresStopped,
    pid: record.pid,
    ...(record.postgres !== undefined ? { postgresPid: record.postgres.pid } : {}),
  };
}

export interface TrackingTarget {
  uri: string;
  /** The local server judgeflow manages (as opposed to `--tracking-uri` / MLFLOW_TRACKING_URI). */
  local: boolean;
  /** This call started it. */
  started: boolean;
}

/**
 * Where a run's MLflow writes go: `--tracking-uri`, else MLFLOW_TRACKING_URI, else the local server
 * (started when it is not running; it keeps running after the run). `noMlflow` → undefined.
 */
export async function resolveTrackingUri(options: {
  env: Env;
  flag?: string | undefined;
  home: string;
  noMlflow?: boolean;
  log?: (line: string) => void;
}): Promise<TrackingTarget | undefined> {
  if (options.noMlflow === true) return undefined;
  const explicit = options.flag ?? options.env.mlflowTrackingUri;
  if (explicit !== undefined) return { uri: explicit.replace(/\/+$/, ''), local: false, started: false };
  const up = await mlflowUp({
    home: options.home,
    env: options.env,
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  if (!up.alreadyRunning) {
    options.log?.(
      `local MLflow server started: ${up.uri} (store ${up.storeDescription}); it keeps running after this run — \`judgeflow mlflow down\` stops it`,
    );
  }
  return { uri: up.uri, local: true, started: !up.alreadyRunning };
}
