import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { isNotFound } from '../../sinks/mlflow/client/not-found.js';
import type { MlflowClient } from '../../sinks/mlflow/client.js';
import { RESULTS_TABLE_ARTIFACT } from '../../sinks/mlflow/results-table.js';
import type { Run } from '../../sinks/mlflow/wire.js';
import type { LoadedSide, SideFeedback, SideRow } from './side-rows.js';

/** `mlflow.log_table`'s layout (pandas `orient="split"`), as results-table.ts writes it. */
const tableSchema = z.looseObject({
  columns: z.array(z.string()),
  data: z.array(z.array(z.unknown())),
});

/** MLflow 3 lists the LoggedModels a run used beside its datasets; the wire schema lets it through. */
const modelInputsSchema = z.looseObject({
  model_inputs: z.array(z.looseObject({ model_id: z.string() })).optional(),
});

/**
 * An MLflow run of `judgeflow run`: its name, experiment and dataset input from the run, its rows
 * from the `eval_results_table.json` artifact (one row per dataset row; `request_id` holds the row id).
 */
export async function loadMlflowSide(client: MlflowClient, runId: string): Promise<LoadedSide> {
  let run: Run;
  try {
    run = await client.getRun(runId);
  } catch (error) {
    if (isNotFound(error))
      throw new ConfigError(
        `no MLflow run ${runId} on ${client.trackingUri} (check the run id and --tracking-uri)`,
        {
          cause: error,
        },
      );
    throw error;
  }
  const artifactUri = run.info.artifact_uri;
  if (artifactUri === undefined)
    throw new ConfigError(
      `MLflow run ${runId} has no artifact location: it holds no results table to compare`,
    );
  let text: string;
  try {
    text = await client.downloadArtifact({ artifactUri, path: RESULTS_TABLE_ARTIFACT });
  } catch (error) {
    if (isNotFound(error))
      throw new ConfigError(
        `MLflow run ${runId} has no ${RESULTS_TABLE_ARTIFACT} artifact: it is not a finished judgeflow evaluation run`,
        { cause: error },
      );
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${RESULTS_TABLE_ARTIFACT} of MLflow run ${runId} is not valid JSON`, {
      cause: error,
    });
  }
  const table = tableSchema.safeParse(json);
  if (!table.success)
    throw new ConfigError(
      `${RESULTS_TABLE_ARTIFACT} of MLflow run ${runId} is not a results table: ${table.error.issues[0]?.message ?? ''}`,
    );
  const { rows, feedbackNames } = rowsFromTable(table.data.columns, table.data.data, runId);

  const dataset = run.inputs?.dataset_inputs?.[0]?.dataset;
  const modelId = modelInputsSchema.safeParse(run.inputs ?? {}).data?.model_inputs?.[0]?.model_id;
  const runName = run.info.run_name;
  return {
    side: {
      label: runName ?? runId,
      source: 'mlflow',
      run_id: runId,
      experiment_id: run.info.experiment_id,
      ...(runName !== undefined ? { run_name: runName } : {}),
      ...(modelId !== undefined ? { model_id: modelId } : {}),
      dataset: {
        ...(dataset !== undefined ? { name: dataset.name, digest: dataset.digest } : {}),
        rows: rows.size,
      },
    },
    rows,
    feedbackNames,
    trackingUri: client.trackingUri,
  };
}

/**
 * Rows from the table's columns: `request_id`, `inputs`, `outputs`, `expectations`, then
 * `<feedback>/value`, `<feedback>/rationale`, `<feedback>/error` per feedback name. A cell that is a
 * list means the row had several feedbacks of that name.
 */
export function rowsFromTable(
  columns: readonly string[],
  data: ReadonlyArray<readonly unknown[]>,
  runId: string,
): { rows: Map<string, SideRow>; feedbackNames: string[] } {
  const at = new Map(columns.map((column, index) => [column, index]));
  const idColumn = at.get('request_id');
  if (idColumn === undefined)
    throw new ConfigError(`${RESULTS_TABLE_ARTIFACT} of MLflow run ${runId} has no request_id column`);
  const feedbackNames = columns
    .filter((column) => column.endsWith('/value'))
    .map((column) => column.slice(0, -'/value'.length));
  const cell = (row: readonly unknown[], column: string): unknown => {
    const index = at.get(column);
    return index === undefined ? undefined : row[index];
  };
  const rows = new Map<string, SideRow>();
  for (const row of data) {
    const id = row[idColumn];
    if (typeof id !== 'string' && typeof id !== 'number') continue;
    const feedbacks = new Map<string, SideFeedback>();
    for (const name of feedbackNames) {
      const value = cell(row, `${name}/value`);
      const rationale = cell(row, `${name}/rationale`);
      const error = cell(row, `${name}/error`);
      // no feedback of this name on the row: all three cells are null
      if (value === null && rationale === null && (error === null || error === undefined)) continue;
      if (Array.isArray(value) || Array.isArray(error)) {
        feedbacks.set(name, { value: undefined, several: true });
        continue;
      }
      feedbacks.set(name, {
        value: typeof error === 'string' ? undefined : (value ?? undefined),
        ...(typeof rationale === 'string' ? { rationale } : {}),
        ...(typeof error === 'string' ? { error } : {}),
      });
    }
    const expectations = cell(row, 'expectations');
    rows.set(String(id), {
      id: String(id),
      inputs: cell(row, 'inputs') ?? null,
      outputs: cell(row, 'outputs') ?? null,
      ...(expectations !== undefined && expectations !== null ? { expectations } : {}),
      feedbacks,
    });
  }
  return { rows, feedbackNames };
}
