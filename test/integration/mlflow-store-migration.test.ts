import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mlflowDownCommand,
  mlflowMigrateStoreCommand,
  mlflowStatusCommand,
  mlflowUpCommand,
} from '../../src/cli/commands/mlflow.js';
import { type Env, readEnv } from '../../src/config/env.js';
import { packageRoot } from '../../src/core/paths.js';
import { venvBin, venvDir } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { mlflowDown, mlflowStatus } from '../../src/sinks/mlflow/server.js';
import { freePort } from '../helpers/free-port.js';
import { testHome } from './servers/mlflow.js';

// A user's local server on SQLite, filled with one of everything (test/python/mlflow_store_fixture.py),
// moved to PostgreSQL with `judgeflow mlflow migrate-store --to postgres`, then read back through a
// server on PostgreSQL: Python's client sees exactly what it saw before, and judgeflow's REST client
// reads traces, assessments, datasets and prompts from it.

const run = promisify(execFile);
const fixture = path.join(packageRoot(), 'test', 'python', 'mlflow_store_fixture.py');

let home: string;
let env: Env;
let port: number;

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
      env: { ...process.env, JUDGEFLOW_HOME: home, MLFLOW_TRACKING_URI: undefined },
      cwd: home,
    },
  };
}

async function python(args: string[], trackingUri?: string): Promise<string> {
  const { stdout } = await run(venvBin(home, 'mlflow'), args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      MLFLOW_DISABLE_TELEMETRY: 'true',
      ...(trackingUri !== undefined ? { MLFLOW_TRACKING_URI: trackingUri } : {}),
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim().split('\n').pop() ?? '';
}

/** Rows per table of a SQLite file, counted by Python's own sqlite3 module. */
async function sqliteCounts(file: string): Promise<Record<string, number>> {
  const script = [
    'import json, sqlite3, sys',
    'db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)',
    "names = [r[0] for r in db.execute(\"SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'alembic_%'\")]",
    'print(json.dumps({n: db.execute(f\'SELECT COUNT(*) FROM "{n}"\').fetchone()[0] for n in names}))',
  ].join('\n');
  return JSON.parse(await python(['-c', script, file]));
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-migrate-'));
  await mkdir(path.join(home, 'venvs'), { recursive: true });
  await symlink(venvDir(testHome(), 'mlflow'), venvDir(home, 'mlflow'));
  env = readEnv({ ...process.env, JUDGEFLOW_HOME: home, MLFLOW_TRACKING_URI: undefined }, home);
  port = await freePort();
});

afterAll(async () => {
  await mlflowDown({ home }).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
});

describe('moving a local SQLite store to PostgreSQL', () => {
  let filled: { experiments: string[]; runs: string[]; traces: string[]; dataset_id: string; prompt: string };
  let before: unknown;
  const db = () => path.join(home, 'mlflow', 'mlflow.db');

  it('a SQLite server (`mlflow up --store sqlite`) takes one of everything', async () => {
    const up = capture();
    expect(await mlflowUpCommand({ store: 'sqlite', port }, up.io)).toBe(0);
    expect(up.out.stdout).toContain(`store: SQLite (${db()})`);
    expect((await mlflowStatus({ home, env })).record).toMatchObject({ store: 'sqlite' });
    expect(existsSync(path.join(home, 'mlflow', 'postgres'))).toBe(false);
    const uri = `http://127.0.0.1:${port}`;
    filled = JSON.parse(await python([fixture, 'populate'], uri));
    expect(filled.traces).toHaveLength(8);
    before = JSON.parse(await python([fixture, 'dump'], uri));
    // The dump holds what the comparison relies on (so an empty dump cannot pass).
    expect(before).toMatchObject({ prompt: { version: 2, aliases: ['production'] } });
    expect((before as { traces: unknown[] }).traces).toHaveLength(8);
  });

  it('refuses to migrate while the server runs, and bad arguments say what is expected', async () => {
    const running = capture();
    expect(await mlflowMigrateStoreCommand({ to: 'postgres' }, running.io)).toBe(2);
    expect(running.out.stderr).toContain('stop it with `judgeflow mlflow down` first');
    const wrongTarget = capture();
    expect(await mlflowMigrateStoreCommand({ to: 'mysql' }, wrongTarget.io)).toBe(2);
    expect(wrongTarget.out.stderr).toContain('only `--to postgres` is supported');
    const noSource = capture();
    expect(await mlflowMigrateStoreCommand({ to: 'postgres', from: 'missing.db' }, noSource.io)).toBe(2);
    expect(noSource.out.stderr).toContain(
      `there is no SQLite store to migrate at ${path.join(home, 'missing.db')}`,
    );
  });

  it('migrate-store copies every row of every table, leaves the SQLite file untouched and switches the store', async () => {
    expect(await mlflowDownCommand(capture().io)).toBe(0);
    const counts = await sqliteCounts(db());
    const hash = sha256(db());
    const printed = capture();
    expect(await mlflowMigrateStoreCommand({ to: 'postgres' }, printed.io)).toBe(0);
    expect(printed.out.stdout).toContain("every table's row count matches");
    const reported = Object.fromEntries(
      [...printed.out.stdout.matchAll(/^ {2}(\S+)\s+(\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
    );
    const nonEmpty = Object.fromEntries(Object.entries(counts).filter(([, rows]) => rows > 0));
    expect(reported).toEqual(nonEmpty);
    for (const table of [
      'experiments',
      'runs',
      'params',
      'metrics',
      'tags',
      'inputs',
      'trace_info',
      'spans',
    ]) {
      expect(reported[table], table).toBeGreaterThan(0);
    }
    for (const table of ['assessments', 'entity_associations', 'evaluation_dataset_records']) {
      expect(reported[table], table).toBeGreaterThan(0);
    }
    expect(reported.registered_model_aliases).toBe(1);
    expect(sha256(db())).toBe(hash);
    expect(readFileSync(path.join(home, 'mlflow', 'store'), 'utf8').trim()).toBe('postgres');
  });

  it('the server on PostgreSQL shows exactly what the SQLite one showed, and takes new writes', async () => {
    const up = capture();
    expect(await mlflowUpCommand({ port }, up.io)).toBe(0);
    expect(up.out.stdout).toContain('store: PostgreSQL');
    const uri = `http://127.0.0.1:${port}`;
    const after = JSON.parse(await python([fixture, 'dump'], uri));
    expect(after).toEqual(before);

    const client = new MlflowClient({ trackingUri: uri, env });
    try {
      for (const traceId of filled.traces) {
        const info = await client.getTraceInfo(traceId);
        expect(info?.assessments?.map((a) => a.assessment_name).sort(), traceId).toEqual([
          'correctness',
          'expected_response',
        ]);
      }
      const trace = await client.getTrace(filled.traces[0] as string);
      expect(trace?.spans.map((s) => s.name).sort()).toEqual(['judge', 'model', 'row']);
      const { records } = await client.listDatasetRecords(filled.dataset_id);
      expect(records.map((r) => r.inputs.question).sort()).toEqual([0, 1, 2, 3].map((i) => `dataset q${i}`));
      expect((await client.getPromptVersionByAlias('store-migration-prompt', 'production'))?.version).toBe(
        '2',
      );
      // Sequences moved past the copied ids: a new experiment gets the next id, runs and traces land.
      const created = await client.createExperiment({ name: 'after-migration' });
      expect(Number(created)).toBe(Math.max(...filled.experiments.map(Number)) + 1);
      const runInfo = await client.createRun({
        experimentId: created,
        runName: 'new',
        startTime: Date.now(),
      });
      expect(runInfo.info.experiment_id).toBe(created);
    } finally {
      await client.close();
    }
    const status = capture();
    await mlflowStatusCommand(status.io);
    expect(status.out.stdout).toContain(
      `store: PostgreSQL (${path.join(home, 'mlflow', 'postgres', 'data')})`,
    );
  });

  it('migrating again into a PostgreSQL that holds data is refused; nothing is overwritten', async () => {
    expect(await mlflowDownCommand(capture().io)).toBe(0);
    const again = capture();
    expect(await mlflowMigrateStoreCommand({ to: 'postgres' }, again.io)).toBe(2);
    expect(again.out.stderr).toMatch(/already holds data: .*runs \(5 rows\)/);
    expect(again.out.stderr).toContain('nothing was copied');
  });
});
