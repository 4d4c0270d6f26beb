import path from 'node:path';

/**
 * Every environment variable judgeflow reads is read here, and documented once.
 * Nothing reads `process.env` at import time: callers pass `process.env` (or a test's copy) in.
 */
export interface Env {
  /** `JUDGEFLOW_HOME`: the local data folder (venvs, MLflow store, judge model); default `./.judgeflow`. */
  home: string;
  /** `MLFLOW_TRACKING_URI`: an MLflow server; when absent judgeflow uses (and starts) its local server. */
  mlflowTrackingUri: string | undefined;
  /** `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`: Basic auth for MLflow. */
  mlflowUsername: string | undefined;
  mlflowPassword: string | undefined;
  /** `MLFLOW_TRACKING_TOKEN`: Bearer auth for MLflow (used when no username is set). */
  mlflowToken: string | undefined;
  /**
   * `JUDGEFLOW_MLFLOW_STORE`: `postgres` or `sqlite`, the store of the local MLflow server judgeflow
   * starts (`judgeflow mlflow up`, or a run without a tracking URI) when `--store` is not given.
   * Unset: the store the data folder already uses, else PostgreSQL. Checked where it is used.
   */
  mlflowLocalStore: string | undefined;
  /**
   * `JUDGEFLOW_MLFLOW_BACKEND_STORE_URI`: a database for the local MLflow server instead of a store
   * judgeflow runs (a team's PostgreSQL: `postgresql+psycopg2://USER:PASSWORD@HOST:5432/mlflow`).
   */
  mlflowLocalBackendStoreUri: string | undefined;
  /**
   * `JUDGEFLOW_MLFLOW_ARTIFACTS_DESTINATION`: where the local MLflow server keeps artifacts instead of
   * `<home>/mlflow/artifacts` (`s3://bucket/path`; the server then gets the `AWS_*` variables).
   */
  mlflowLocalArtifactsDestination: string | undefined;
  /** `MLFLOW_HTTP_REQUEST_TIMEOUT`: seconds per MLflow call (default 120, as Python's client). */
  mlflowTimeoutS: number;
  /** `OPENAI_API_KEY`: enables the OpenAI default judge. */
  openaiApiKey: string | undefined;
  /** `OPENAI_BASE_URL`: overrides the OpenAI API base URL. */
  openaiBaseUrl: string | undefined;
  /** `JUDGEFLOW_JUDGE_MODEL`: path of the local judge GGUF; default: the one `judgeflow setup` installs. */
  localJudgeModel: string | undefined;
  /** `RAY_ADDRESS`: the Ray cluster for `--executor ray`. */
  rayAddress: string | undefined;
  /** `RAY_AUTH_TOKEN`: Ray token auth for the Jobs API. */
  rayAuthToken: string | undefined;
  /**
   * `RAY_API_SERVER_ADDRESS`: the Ray dashboard (Jobs API) URL for `judgeflow submit` / `jobs`, as Ray's
   * own `ray job` CLI reads it (e.g. http://HEAD:8265); `RAY_ADDRESS` is used when it is an http(s) URL.
   */
  rayApiServerAddress: string | undefined;
  /**
   * `JUDGEFLOW_RAY_PYTHON`: the Python that runs the Ray bridge (e.g. `python3` inside a Ray image);
   * default: the `ray` venv that `judgeflow setup` installs.
   */
  rayPython: string | undefined;
  /**
   * `JUDGEFLOW_LMEVAL_PYTHON`: the Python with lm-eval that `judgeflow bench` runs (the worker image's
   * `/opt/judgeflow/venvs/lmeval`); unset, the `lmeval` venv `judgeflow setup` made.
   */
  lmevalPython: string | undefined;
  /**
   * `JUDGEFLOW_METRICS_PORT`: serve Prometheus `/metrics` on this port (`--metrics-port` overrides);
   * unset: no metrics server. Ray workers' Node processes read it from their own environment.
   */
  metricsPort?: number | undefined;
  /** `JUDGEFLOW_METRICS_HOST`: the interface `/metrics` binds (default 127.0.0.1; `0.0.0.0` in a pod). */
  metricsHost?: string | undefined;
  /**
   * `JUDGEFLOW_METRICS_PORT_SPAN`: how many ports from `JUDGEFLOW_METRICS_PORT` up a Ray worker tries
   * (default 8): several worker actors share one Ray worker pod, each serves on the first free one.
   */
  metricsPortSpan?: number | undefined;
  /** `NO_COLOR`: disables colours. */
  noColor: boolean;
  /**
   * `JUDGEFLOW_DEBUG` (`1`/`true`; the `--debug` flag sets it): errors print their stack traces and
   * causes. Child processes (the Ray bridge and workers) inherit it.
   */
  debug: boolean;
  /**
   * The whole environment, for reading a key named in config (`api_key_env`). The processes of the
   * local MLflow server get only a part of it (`src/sinks/mlflow/local-server/child-env.ts`): PATH,
   * HOME, USER, LOGNAME, LANG, LANGUAGE, LC_*, TZ, TMPDIR, MLflow's server settings (`MLFLOW_*` except
   * the client's `MLFLOW_TRACKING_*`), `AWS_*` / `GOOGLE_*` / `AZURE_*` only when artifacts go to that
   * cloud, `PG*` only for an external PostgreSQL store.
   */
  raw: Readonly<Record<string, string | undefined>>;
}

export function readEnv(
  source: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
): Env {
  const timeout = Number(source.MLFLOW_HTTP_REQUEST_TIMEOUT);
  return {
    home: path.resolve(cwd, nonEmpty(source.JUDGEFLOW_HOME) ?? '.judgeflow'),
    mlflowTrackingUri: nonEmpty(source.MLFLOW_TRACKING_URI),
    mlflowUsername: nonEmpty(source.MLFLOW_TRACKING_USERNAME),
    mlflowPassword: source.MLFLOW_TRACKING_PASSWORD,
    mlflowToken: nonEmpty(source.MLFLOW_TRACKING_TOKEN),
    mlflowLocalStore: nonEmpty(source.JUDGEFLOW_MLFLOW_STORE),
    mlflowLocalBackendStoreUri: nonEmpty(source.JUDGEFLOW_MLFLOW_BACKEND_STORE_URI),
    mlflowLocalArtifactsDestination: nonEmpty(source.JUDGEFLOW_MLFLOW_ARTIFACTS_DESTINATION),
    mlflowTimeoutS: Number.isFinite(timeout) && timeout > 0 ? timeout : 120,
    openaiApiKey: nonEmpty(source.OPENAI_API_KEY),
    openaiBaseUrl: nonEmpty(source.OPENAI_BASE_URL),
    localJudgeModel: nonEmpty(source.JUDGEFLOW_JUDGE_MODEL),
    rayAddress: nonEmpty(source.RAY_ADDRESS),
    rayAuthToken: nonEmpty(source.RAY_AUTH_TOKEN),
    rayApiServerAddress: nonEmpty(source.RAY_API_SERVER_ADDRESS),
    rayPython: nonEmpty(source.JUDGEFLOW_RAY_PYTHON),
    lmevalPython: nonEmpty(source.JUDGEFLOW_LMEVAL_PYTHON),
    metricsPort: portNumber(source.JUDGEFLOW_METRICS_PORT),
    metricsHost: nonEmpty(source.JUDGEFLOW_METRICS_HOST),
    metricsPortSpan: portSpan(source.JUDGEFLOW_METRICS_PORT_SPAN),
    noColor: nonEmpty(source.NO_COLOR) !== undefined,
    debug: ['1', 'true', 'yes'].includes((source.JUDGEFLOW_DEBUG ?? '').trim().toLowerCase()),
    raw: source,
  };
}

function portNumber(value: string | undefined): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const port = Number(text);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}

function portSpan(value: string | undefined): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const span = Number(text);
  return Number.isInteger(span) && span >= 1 && span <= 1024 ? span : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Reads the secret named by `api_key_env`; the value never leaves the HTTP layer. */
export function readSecret(env: Env, name: string | undefined): string | undefined {
  return readVariable(env, name);
}

/**
 * Reads a variable a provider kind declares — its default key and base-URL variables
 * (`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`), documented once in that kind's file in `src/providers/`
 * and its README. Empty counts as unset.
 */
export function readVariable(env: Env, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  return nonEmpty(env.raw[name]);
}
