import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Env } from '../../../config/env.js';
import { ConfigError } from '../../../core/errors.js';
import { type PostgresFiles, postgresFiles } from './postgres.js';

/** The stores judgeflow runs itself for its local MLflow server. */
export const localStoreKinds = ['sqlite', 'postgres'] as const;
export type LocalStoreKind = (typeof localStoreKinds)[number];

/**
 * The store of a fresh data folder. PostgreSQL: at the same server CPU per row it wrote 1.5–3× the
 * rows/s of SQLite, whose single write lock made requests queue and, with 4 workers under load, time
 * out (bench/RESULTS.md, "Issue 9 — PostgreSQL store").
 */
export const defaultLocalStore: LocalStoreKind = 'postgres';

/** What the server stores its data in: a store judgeflow runs, or a database it was pointed at. */
export type StoreChoice = { kind: 'sqlite' } | { kind: 'postgres' } | { kind: 'external'; uri: string };

/** Where the store choice came from (status output and the fallback rule use it). */
export type StoreSource = 'flag' | 'environment' | 'data folder' | 'default';

/** The files of one local MLflow server: `<home>/mlflow` for judgeflow's own, a temp folder in tests. */
export interface ServerFolder {
  dir: string;
  /** `server.json`: what runs (pids, ports, store) while it runs. */
  record: string;
  /** `store`: the local store this folder uses (`sqlite` / `postgres`), kept across restarts. */
  storeMarker: string;
  /** The SQLite store. */
  db: string;
  /** Artifacts served by the server's proxy, whichever the store. */
  artifacts: string;
  log: string;
  /** Held while a judgeflow process starts the server, so two runs do not start two. */
  lock: string;
  postgres: PostgresFiles;
}

export function serverFolder(dir: string): ServerFolder {
  return {
    dir,
    record: path.join(dir, 'server.json'),
    storeMarker: path.join(dir, 'store'),
    db: path.join(dir, 'mlflow.db'),
    artifacts: path.join(dir, 'artifacts'),
    log: path.join(dir, 'server.log'),
    lock: path.join(dir, 'up.lock'),
    postgres: postgresFiles(dir),
  };
}

export function parseStoreKind(value: string, field: string): LocalStoreKind {
  const kind = value.trim().toLowerCase();
  if ((localStoreKinds as readonly string[]).includes(kind)) return kind as LocalStoreKind;
  throw new ConfigError(
    `${field}: unknown store "${value}" (expected one of ${localStoreKinds.join(', ')})`,
    {
      field,
    },
  );
}

/**
 * A database URI for `--backend-store-uri`, with the driver the mlflow venv has: `postgresql://` and
 * `postgres://` become `postgresql+psycopg2://` (bare `postgresql://` makes SQLAlchemy look for
 * psycopg 3, which is not installed).
 */
export function normalizeBackendStoreUri(uri: string, field: string): string {
  const trimmed = uri.trim();
  const postgres = /^postgres(?:ql)?:\/\//i.exec(trimmed);
  if (postgres !== null) return `postgresql+psycopg2://${trimmed.slice(postgres[0].length)}`;
  if (/^(postgresql\+psycopg2|sqlite|mysql(\+\w+)?|mssql(\+\w+)?):\/\//i.test(trimmed)) return trimmed;
  throw new ConfigError(
    `${field}: "${trimmed.replace(/:[^/@:]*@/, ':***@')}" is not a database URI MLflow can use (expected postgresql+psycopg2://USER@HOST:PORT/DB, sqlite:///FILE, mysql+pymysql://…)`,
    { field },
  );
}

async function readMarker(folder: ServerFolder): Promise<LocalStoreKind | undefined> {
  if (!existsSync(folder.storeMarker)) return undefined;
  const text = (await readFile(folder.storeMarker, 'utf8')).trim();
  return (localStoreKinds as readonly string[]).includes(text) ? (text as LocalStoreKind) : undefined;
}

export async function writeStoreMarker(folder: ServerFolder, kind: LocalStoreKind): Promise<void> {
  await writeFile(folder.storeMarker, `${kind}\n`);
}

/**
 * Which store the local server uses: `--store` / `--backend-store-uri`, else JUDGEFLOW_MLFLOW_STORE /
 * JUDGEFLOW_MLFLOW_BACKEND_STORE_URI, else the store this data folder used last (a folder that holds
 * a SQLite store from before PostgreSQL was the default keeps it, so no run seems to vanish), else
 * the default. `judgeflow mlflow migrate-store` moves a SQLite store to PostgreSQL.
 */
export async function resolveStoreChoice(options: {
  folder: ServerFolder;
  env: Env;
  store?: LocalStoreKind;
  backendStoreUri?: string;
}): Promise<{ choice: StoreChoice; source: StoreSource }> {
  if (options.store !== undefined && options.backendStoreUri !== undefined) {
    throw new ConfigError('--store and --backend-store-uri exclude each other: give one', { field: 'store' });
  }
  if (options.backendStoreUri !== undefined) {
    return {
      choice: {
        kind: 'external',
        uri: normalizeBackendStoreUri(options.backendStoreUri, '--backend-store-uri'),
      },
      source: 'flag',
    };
  }
  if (options.store !== undefined) return { choice: localChoice(options.store), source: 'flag' };
  const { mlflowLocalStore, mlflowLocalBackendStoreUri } = options.env;
  if (mlflowLocalStore !== undefined && mlflowLocalBackendStoreUri !== undefined) {
    throw new ConfigError(
      'JUDGEFLOW_MLFLOW_STORE and JUDGEFLOW_MLFLOW_BACKEND_STORE_URI exclude each other: set one',
      { field: 'JUDGEFLOW_MLFLOW_STORE' },
    );
  }
  if (mlflowLocalBackendStoreUri !== undefined) {
    return {
      choice: {
        kind: 'external',
        uri: normalizeBackendStoreUri(mlflowLocalBackendStoreUri, 'JUDGEFLOW_MLFLOW_BACKEND_STORE_URI'),
      },
      source: 'environment',
    };
  }
  if (mlflowLocalStore !== undefined) {
    return {
      choice: localChoice(parseStoreKind(mlflowLocalStore, 'JUDGEFLOW_MLFLOW_STORE')),
      source: 'environment',
    };
  }
  const marker = await readMarker(options.folder);
  if (marker !== undefined) return { choice: localChoice(marker), source: 'data folder' };
  if (existsSync(options.folder.db) && statSync(options.folder.db).size > 0) {
    return { choice: { kind: 'sqlite' }, source: 'data folder' };
  }
  return { choice: localChoice(defaultLocalStore), source: 'default' };
}

function localChoice(kind: LocalStoreKind): StoreChoice {
  return kind === 'sqlite' ? { kind: 'sqlite' } : { kind: 'postgres' };
}

/** A short description of a store for messages: `PostgreSQL (<data folder>)`, `SQLite (<file>)`… */
export function describeStore(
  choice: StoreChoice,
  folder: ServerFolder,
  redact: (uri: string) => string,
): string {
  if (choice.kind === 'postgres') return `PostgreSQL (${folder.postgres.data})`;
  if (choice.kind === 'sqlite') return `SQLite (${folder.db})`;
  return redact(choice.uri);
}
