import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../core/errors.js';
import type { MlflowClient } from '../../sinks/mlflow/client.js';

/**
 * Uploads a report to an MLflow run's artifacts (through the server's artifact proxy, as the run's
 * other artifacts go), under `artifactPath` (default: the file's own name, `report.html`). MLflow's UI
 * shows an .html artifact in its artifact view. Returns the artifact path.
 */
export async function logReportArtifact(
  client: MlflowClient,
  runId: string,
  file: string,
  options: { artifactPath?: string } = {},
): Promise<string> {
  const run = await client.getRun(runId);
  const artifactUri = run.info.artifact_uri;
  if (artifactUri === undefined || artifactUri === '') {
    throw new MlflowError({
      message: `MLflow run ${runId} has no artifact location`,
      endpoint: 'GET /api/2.0/mlflow/runs/get',
      retryable: false,
    });
  }
  const artifactPath = options.artifactPath ?? path.basename(file);
  await client.uploadArtifact({
    artifactUri,
    path: artifactPath,
    body: await readFile(file),
    contentType: 'text/html; charset=utf-8',
  });
  return artifactPath;
}
