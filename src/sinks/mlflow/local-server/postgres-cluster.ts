import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InfrastructureError } from '../../../core/errors.js';
import { postgresEnvironment } from './child-env.js';
import type { PostgresFiles } from './postgres.js';
import { localHost, run, tailOf } from './processes.js';

/** The PostgreSQL role the local MLflow server logs in as. */
export const postgresUser = 'judgeflow';
/** The major version of the binaries `embedded-postgres` ships (python/requirements/mlflow.txt). */
const postgresMajor = '18';
/** PostgreSQL refuses to run as root; as root, judgeflow runs it as this uid in a user namespace. */
const unprivilegedId = 65534;

/** How PostgreSQL's programs are started for this user, and who they run as (for error messages). */
export interface Launch {
  prefix: string[];
  who: string;
}

function currentUser(): string {
  const uid = process.getuid?.();
  let name = '';
  try {
    name = os.userInfo().username;
  } catch {
    // no passwd entry (a container with an arbitrary uid)
  }
  return `uid ${uid ?? '?'}${name !== '' ? ` (${name})` : ''}`;
}

/**
 * Not root: PostgreSQL's programs run directly. Root: they run as uid 65534 in a user namespace
 * mapped to root, so files stay root's outside while PostgreSQL's owner check sees its own uid. If
 * that namespace cannot be made, the error says why and what to do instead.
 */
export async function postgresLaunch(binDir: string, source: Record<string, string | undefined>) {
  if (process.getuid?.() !== 0) return { prefix: [], who: currentUser() } satisfies Launch;
  const prefix = ['unshare', '--user', `--map-user=${unprivilegedId}`, `--map-group=${unprivilegedId}`, '--'];
  const probe = await run(
    prefix[0] as string,
    [...prefix.slice(1), path.join(binDir, 'postgres'), '--version'],
    {
      env: postgresEnvironment(source),
      timeoutMs: 15_000,
    },
  );
  if (probe.code !== 0) {
    throw new InfrastructureError(
      'PostgreSQL refuses to run as root, and judgeflow runs as root (uid 0). judgeflow runs it as ' +
        `uid ${unprivilegedId} in a user namespace (\`unshare --user\`), which failed here: ` +
        `${(probe.stderr || probe.stdout).trim() || `exit ${probe.code}`}. Run judgeflow as a regular ` +
        'user, allow user namespaces (sysctl user.max_user_namespaces > 0), or use the SQLite store ' +
        '(`--store sqlite` or JUDGEFLOW_MLFLOW_STORE=sqlite).',
      { component: 'postgres' },
    );
  }
  return {
    prefix,
    who: `uid ${unprivilegedId} in a user namespace (judgeflow runs as root)`,
  } satisfies Launch;
}

/**
 * Creates the cluster on first use: role `judgeflow` with a generated password (scram-sha-256, kept in
 * the 0600 password file libpq reads), UTF-8 without a locale (no dependency on the machine's locales).
 */
export async function initCluster(
  binDir: string,
  files: PostgresFiles,
  launch: Launch,
  source: Record<string, string | undefined>,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const versionFile = path.join(files.data, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const major = readFileSync(versionFile, 'utf8').trim();
    if (major !== postgresMajor) {
      throw new InfrastructureError(
        `the PostgreSQL data folder ${files.data} was made by PostgreSQL ${major}; judgeflow ships PostgreSQL ${postgresMajor}. Move the folder away (or pg_upgrade it) and start again`,
        { component: 'postgres' },
      );
    }
    if (!existsSync(files.passfile)) {
      throw new InfrastructureError(
        `the password file ${files.passfile} of the local PostgreSQL (data folder ${files.data}) is missing, so MLflow cannot log in; restore it, or move the data folder away to start an empty store`,
        { component: 'postgres' },
      );
    }
    return;
  }
  if (existsSync(files.data) && readdirSync(files.data).length > 0) {
    throw new InfrastructureError(
      `the PostgreSQL data folder ${files.data} is not empty but holds no cluster (no PG_VERSION); move it away and start again`,
      { component: 'postgres' },
    );
  }
  log(`creating the PostgreSQL store in ${files.data}`);
  const password = randomBytes(24).toString('hex');
  const pwfile = path.join(files.dir, 'initdb-password');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    const initdbArgs = [
      '-D',
      files.data,
      '-U',
      postgresUser,
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '--no-locale',
      '-E',
      'UTF8',
      '--no-instructions',
    ];
    const initdb = path.join(binDir, 'initdb');
    const result =
      launch.prefix.length > 0
        ? await run(launch.prefix[0] as string, [...launch.prefix.slice(1), initdb, ...initdbArgs], {
            env: postgresEnvironment(source),
            timeoutMs: 120_000,
          })
        : await run(initdb, initdbArgs, { env: postgresEnvironment(source), timeoutMs: 120_000 });
    if (result.code !== 0) {
      await rm(files.data, { recursive: true, force: true });
      throw new InfrastructureError(
        `initdb could not create the PostgreSQL data folder ${files.data} (running as ${launch.who}): ${tailOf(`${result.stdout}\n${result.stderr}`, 10)}`,
        { component: 'postgres' },
      );
    }
    writeFileSync(files.passfile, `${localHost}:*:*:${postgresUser}:${password}\n`, { mode: 0o600 });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** PostgreSQL opens a data folder only when its own user owns it and nobody else may read it. */
export async function checkDataFolder(files: PostgresFiles, launch: Launch): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const info = await stat(files.data);
  if (info.uid !== uid) {
    throw new InfrastructureError(
      `the PostgreSQL data folder ${files.data} belongs to uid ${info.uid}, but judgeflow runs as ${currentUser()} and PostgreSQL would run as ${launch.who}; PostgreSQL only opens a data folder its own user owns. Run judgeflow as uid ${info.uid}, or chown -R the folder`,
      { component: 'postgres' },
    );
  }
  if ((info.mode & 0o027) !== 0) await chmod(files.data, 0o700);
}
