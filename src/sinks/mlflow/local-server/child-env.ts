/**
 * The environments of the processes judgeflow starts for its local MLflow server (issue 10): each
 * gets what it needs and nothing else, so an API key in the user's shell never reaches a server that
 * keeps running after the run, its logs or its `/proc/<pid>/environ`.
 */

type Source = Readonly<Record<string, string | undefined>>;

/** What any process needs to run at all: where programs are, the home folder, locale and time zone. */
const basicNames = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR'];

/**
 * Client-side MLflow settings: credentials and the address of a tracking server. The server needs
 * none of them, and `MLFLOW_TRACKING_PASSWORD` / `_TOKEN` are secrets.
 */
const mlflowClientPrefix = 'MLFLOW_TRACKING_';

/** Credentials for an artifact store, passed only when the artifacts go to that store. */
const artifactStoreVariables: Array<{ scheme: RegExp; prefixes: string[] }> = [
  { scheme: /^s3a?:\/\//i, prefixes: ['AWS_'] },
  { scheme: /^gs:\/\//i, prefixes: ['GOOGLE_', 'GCLOUD_'] },
  { scheme: /^(wasbs?|abfss?):\/\//i, prefixes: ['AZURE_'] },
];

function basics(source: Source): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (basicNames.includes(name) || name.startsWith('LC_')) env[name] = value;
  }
  return env;
}

function withPrefixes(source: Source, prefixes: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && prefixes.some((prefix) => name.startsWith(prefix))) env[name] = value;
  }
  return env;
}

/**
 * The `mlflow server` process's environment: the basics; MLflow's own server settings (`MLFLOW_*`
 * from the caller, except the client-side `MLFLOW_TRACKING_*`); telemetry and the job runner off
 * unless the caller turned them on; the variables of the artifact store when artifacts go to S3, GCS
 * or Azure (never otherwise); PostgreSQL's `PG*` client variables when the store is an external
 * PostgreSQL; then `extra` (judgeflow's own settings, e.g. the local PostgreSQL's password file).
 */
export function mlflowServerEnvironment(
  source: Source,
  options: {
    artifactsDestination: string;
    /** The store is a PostgreSQL judgeflow did not start: its `PGPASSWORD`, `PGSSLMODE`… apply. */
    externalPostgres?: boolean;
    extra?: Readonly<Record<string, string>>;
  },
): Record<string, string> {
  const mlflow = withPrefixes(source, ['MLFLOW_']);
  for (const name of Object.keys(mlflow)) if (name.startsWith(mlflowClientPrefix)) delete mlflow[name];
  const artifactPrefixes =
    artifactStoreVariables.find((store) => store.scheme.test(options.artifactsDestination))?.prefixes ?? [];
  return {
    ...basics(source),
    // A machine without internet can hang on telemetry; the job runner (scheduled judges, prompt
    // optimization) is seven more processes that no judgeflow feature uses.
    MLFLOW_DISABLE_TELEMETRY: 'true',
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    ...mlflow,
    ...withPrefixes(source, artifactPrefixes),
    ...(options.externalPostgres === true ? withPrefixes(source, ['PG']) : {}),
    ...(options.extra ?? {}),
  };
}

/** A PostgreSQL server or client program's environment: the basics plus `extra`, nothing else. */
export function postgresEnvironment(source: Source, extra: Readonly<Record<string, string>> = {}) {
  return { ...basics(source), ...extra };
}
