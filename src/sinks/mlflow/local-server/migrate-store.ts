import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Env } from '../../../config/env.js';
import { ConfigError, JudgeflowError } from '../../../core/errors.js';
import { packageRoot } from '../../../core/paths.js';
import { requirePythonEnv } from '../../../setup/python-env.js';
import { postgresEnvironment } from './child-env.js';
import { redactStoreUri, sqliteStoreUri } from './mlflow-process.js';
import { postgresBinDir, startPostgres, stopPostgres } from './postgres.js';
import { processAlive } from './processes.js';
import { normalizeBackendStoreUri, type ServerFolder, writeStoreMarker } from './store.js';

const reportSchema = z.object({
  revision: z.string(),
  tables: z.record(z.string(), z.number()),
  rows: z.number(),
});

export interface StoreMigration {
  /** The SQLite file that was copied (left as it was). */
  source: string;
  /** Where it went: the local PostgreSQL's data folder, or the redacted URI. */
  target: string;
  /** MLflow's schema revision of both stores. */
  revision: string;
  /** Rows copied per table (each equal to the source's count). */
  tables: Record<string, number>;
  rows: number;
}

/** The migration script, shipped in the npm package's `python/` folder. */
export function migrateStoreScript(): string {
  return path.join(packageRoot(), 'python', 'judgeflow_mlflow_tools', 'migrate_store.py');
}

/**
 * Copies the local SQLite store into PostgreSQL — judgeflow's own (started for the copy and stopped
 * after, the folder's store switched to it) or `targetUri` — with
 * `python/judgeflow_mlflow_tools/migrate_store.py` in the mlflow venv: MLflow's schema created as
 * MLflow creates it, every table in foreign-key order in one transaction, sequences moved on, row
 * counts compared before the commit. The SQLite file is only read; artifacts stay where they are
 * (both stores use the same artifact folder). The local server must be stopped first, so no write
 * lands in the old store after the copy.
 */
export async function migrateStore(options: {
  home: string;
  env: Env;
  folder: ServerFolder;
  /** The SQLite file; default the folder's `mlflow.db`. */
  sourceFile?: string;
  /** An external database instead of the local PostgreSQL. */
  targetUri?: string;
  log?: (line: string) => void;
}): Promise<StoreMigration> {
  const log = options.log ?? (() => undefined);
  const { folder } = options;
  const source = path.resolve(options.sourceFile ?? folder.db);
  if (!existsSync(source)) {
    throw new ConfigError(`there is no SQLite store to migrate at ${source}`, { field: 'from' });
  }
  const record = existsSync(folder.record) ? folder.record : undefined;
  if (record !== undefined && localServerPid(record) !== undefined) {
    throw new ConfigError(
      'the local MLflow server is running; stop it with `judgeflow mlflow down` first, so no write lands in the old store after the copy',
      { field: 'server' },
    );
  }
  const python = await requirePythonEnv(options.home, 'mlflow');
  const external =
    options.targetUri !== undefined ? normalizeBackendStoreUri(options.targetUri, '--target-uri') : undefined;
  let postgres: Awaited<ReturnType<typeof startPostgres>> | undefined;
  if (external === undefined) {
    postgres = await startPostgres({
      binDir: await postgresBinDir(options.home),
      files: folder.postgres,
      source: { ...options.env.raw },
      log,
    });
  }
  try {
    const target = external ?? (postgres as { uri: string }).uri;
    log(`copying ${source} into ${redactStoreUri(target)}`);
    const env = postgresEnvironment(options.env.raw, {
      MLFLOW_DISABLE_TELEMETRY: 'true',
      ...(postgres !== undefined ? { PGPASSFILE: postgres.passfile } : {}),
      ...(external !== undefined ? pgClientVariables(options.env.raw) : {}),
    });
    const result = await runScript(
      python,
      ['--source', sqliteStoreUri(source), '--target', '-'],
      target,
      env,
      log,
    );
    if (external === undefined) await writeStoreMarker(folder, 'postgres');
    return {
      source,
      target: postgres !== undefined ? folder.postgres.data : redactStoreUri(target),
      ...result,
    };
  } finally {
    if (postgres !== undefined) await stopPostgres({ pid: postgres.pid, data: folder.postgres.data });
  }
}

function localServerPid(recordFile: string): number | undefined {
  try {
    const { pid } = JSON.parse(readFileSync(recordFile, 'utf8')) as { pid: number };
    return processAlive(pid, 'mlflow') ? pid : undefined;
  } catch {
    return undefined;
  }
}

function pgClientVariables(source: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source))
    if (name.startsWith('PG') && value !== undefined) out[name] = value;
  return out;
}

/** Runs the script with the target URI on stdin (it may hold a password: never on a command line). */
async function runScript(
  python: string,
  args: string[],
  targetUri: string,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<z.infer<typeof reportSchema>> {
  const child = spawn(python, [migrateStoreScript(), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(`${targetUri}\n`);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr += text;
    for (const line of text.split('\n')) if (line.startsWith('[migrate-store] ')) log(line.slice(16));
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const message = stderr
    .split('\n')
    .filter((line) => line.startsWith('migrate-store: '))
    .map((line) => line.slice(15))
    .join('\n');
  if (code === 2) throw new ConfigError(`the store was not migrated: ${message}`, { field: 'migrate-store' });
  if (code !== 0) {
    throw new JudgeflowError(
      `the store migration failed and was rolled back (exit ${code}): ${message || stderr.trim().split('\n').slice(-10).join('\n')}`,
    );
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  return reportSchema.parse(JSON.parse(last));
}
