import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import {
  mlflowServerEnvironment,
  postgresEnvironment,
} from '../../src/sinks/mlflow/local-server/child-env.js';
import { mlflowServerLaunch, redactStoreUri } from '../../src/sinks/mlflow/local-server/mlflow-process.js';
import {
  normalizeBackendStoreUri,
  parseStoreKind,
  resolveStoreChoice,
  serverFolder,
  writeStoreMarker,
} from '../../src/sinks/mlflow/local-server/store.js';

const parent = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/eval',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'Europe/Paris',
  OPENAI_API_KEY: 'sk-secret',
  ANTHROPIC_API_KEY: 'sk-ant-secret',
  MLFLOW_TRACKING_URI: 'http://team:5000',
  MLFLOW_TRACKING_PASSWORD: 'pw-secret',
  MLFLOW_TRACKING_TOKEN: 'tok-secret',
  MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '8',
  AWS_ACCESS_KEY_ID: 'AKIA-secret',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  PGPASSWORD: 'pg-secret',
  RAY_AUTH_TOKEN: 'ray-secret',
  NPM_TOKEN: 'npm-secret',
};

describe("the local server's environments", () => {
  it('mlflow server with local artifacts: basics and MLflow server settings only', () => {
    const env = mlflowServerEnvironment(parent, { artifactsDestination: '/data/artifacts' });
    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/eval',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'Europe/Paris',
      MLFLOW_DISABLE_TELEMETRY: 'true',
      MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '8',
    });
  });

  it('S3 artifacts add the AWS variables and nothing else; GCS adds GOOGLE_*', () => {
    const s3 = mlflowServerEnvironment(parent, { artifactsDestination: 's3://bucket/mlflow' });
    expect(s3.AWS_ACCESS_KEY_ID).toBe('AKIA-secret');
    expect(s3.AWS_SECRET_ACCESS_KEY).toBe('aws-secret');
    expect(Object.values(s3)).not.toContain('sk-secret');
    expect(Object.values(s3)).not.toContain('pw-secret');
    const gcs = mlflowServerEnvironment(
      { ...parent, GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json' },
      { artifactsDestination: 'gs://bucket/mlflow' },
    );
    expect(gcs.GOOGLE_APPLICATION_CREDENTIALS).toBe('/keys/sa.json');
    expect(gcs.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it('PG* variables only for an external PostgreSQL; extra settings win; the caller may turn the job runner on', () => {
    const external = mlflowServerEnvironment(
      { ...parent, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'true' },
      { artifactsDestination: '/a', externalPostgres: true, extra: { PGPASSFILE: '/p' } },
    );
    expect(external.PGPASSWORD).toBe('pg-secret');
    expect(external.PGPASSFILE).toBe('/p');
    expect(external.MLFLOW_SERVER_ENABLE_JOB_EXECUTION).toBe('true');
    expect(mlflowServerEnvironment(parent, { artifactsDestination: '/a' }).PGPASSWORD).toBeUndefined();
  });

  it("PostgreSQL's own environment has no MLflow, cloud or API settings", () => {
    expect(postgresEnvironment(parent, { PGPASSFILE: '/p' })).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/eval',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'Europe/Paris',
      PGPASSFILE: '/p',
    });
  });
});

describe('mlflow server arguments', () => {
  it('a store URI with a password goes in the environment, never on the command line', () => {
    const uri = 'postgresql+psycopg2://mlflow:s3cret@db:5432/mlflow';
    const launch = mlflowServerLaunch({
      backendStoreUri: uri,
      artifactsDestination: 's3://b/p',
      host: '127.0.0.1',
      port: 5000,
    });
    expect(launch.args.join(' ')).not.toContain('s3cret');
    expect(launch.args).not.toContain('--backend-store-uri');
    expect(launch.env).toEqual({ MLFLOW_BACKEND_STORE_URI: uri });
    expect(launch.args).toContain('s3://b/p');
    expect(redactStoreUri(uri)).toBe('postgresql+psycopg2://mlflow:***@db:5432/mlflow');
  });

  it('a store without a password, workers and a plugin app name are plain arguments', () => {
    const launch = mlflowServerLaunch({
      backendStoreUri: 'postgresql+psycopg2://judgeflow@127.0.0.1:5432/mlflow',
      artifactsDestination: 'relative/artifacts',
      host: '127.0.0.1',
      port: 5001,
      workers: 2,
      appName: 'judgeflow',
    });
    expect(launch.args).toEqual([
      'server',
      '--backend-store-uri',
      'postgresql+psycopg2://judgeflow@127.0.0.1:5432/mlflow',
      '--artifacts-destination',
      path.resolve('relative/artifacts'),
      '--host',
      '127.0.0.1',
      '--port',
      '5001',
      '--workers',
      '2',
      '--app-name',
      'judgeflow',
    ]);
    expect(launch.env).toEqual({});
  });
});

describe('which store the local server uses', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('flag, then environment, then what the folder used, then PostgreSQL', async () => {
    const folder = serverFolder(dir);
    const env = (extra: Record<string, string> = {}) => readEnv(extra, dir);
    expect(await resolveStoreChoice({ folder, env: env() })).toEqual({
      choice: { kind: 'postgres' },
      source: 'default',
    });
    // A folder with a SQLite store from before keeps it, so no earlier run seems to vanish.
    await writeFile(folder.db, 'SQLite format 3\0');
    expect(await resolveStoreChoice({ folder, env: env() })).toEqual({
      choice: { kind: 'sqlite' },
      source: 'data folder',
    });
    await writeStoreMarker(folder, 'postgres');
    expect((await resolveStoreChoice({ folder, env: env() })).choice).toEqual({ kind: 'postgres' });
    expect(await resolveStoreChoice({ folder, env: env({ JUDGEFLOW_MLFLOW_STORE: 'SQLite' }) })).toEqual({
      choice: { kind: 'sqlite' },
      source: 'environment',
    });
    expect(
      (
        await resolveStoreChoice({
          folder,
          env: env({ JUDGEFLOW_MLFLOW_STORE: 'sqlite' }),
          store: 'postgres',
        })
      ).choice,
    ).toEqual({ kind: 'postgres' });
    expect(
      (
        await resolveStoreChoice({
          folder,
          env: env({ JUDGEFLOW_MLFLOW_BACKEND_STORE_URI: 'postgresql://u:p@db/mlflow' }),
        })
      ).choice,
    ).toEqual({ kind: 'external', uri: 'postgresql+psycopg2://u:p@db/mlflow' });
  });

  it('bad input names the variable or flag and what is expected', async () => {
    const folder = serverFolder(dir);
    await expect(
      resolveStoreChoice({ folder, env: readEnv({ JUDGEFLOW_MLFLOW_STORE: 'mongo' }, dir) }),
    ).rejects.toThrow(/JUDGEFLOW_MLFLOW_STORE: unknown store "mongo" \(expected one of sqlite, postgres\)/);
    await expect(
      resolveStoreChoice({
        folder,
        env: readEnv({}, dir),
        store: 'sqlite',
        backendStoreUri: 'sqlite:///x.db',
      }),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(() => parseStoreKind('', '--store')).toThrow(ConfigError);
    expect(() => normalizeBackendStoreUri('db.internal:5432/mlflow', '--backend-store-uri')).toThrow(
      /--backend-store-uri: .* is not a database URI MLflow can use/,
    );
    expect(normalizeBackendStoreUri('postgres://u@h/d', 'x')).toBe('postgresql+psycopg2://u@h/d');
    expect(normalizeBackendStoreUri('sqlite:////tmp/m.db', 'x')).toBe('sqlite:////tmp/m.db');
  });
});
