import type { ModelsRunResponse } from './run-eval-file.js';

/** How `judgeflow compare` names one model's run: its MLflow run id, else its output folder. */
export function compareSide(run: ModelsRunResponse['models'][number]): string {
  return run.outcome.summary.mlflow?.run_id ?? run.outcome.outDir;
}

/**
 * What `judgeflow run` prints after the runs of a `models:` file: each model's run (MLflow run id or
 * folder), the comparison group, and the `judgeflow compare` command for the first model against each
 * other one (with `--pairwise` when the file has a pairwise scorer).
 */
export function modelsRunEpilogue(response: ModelsRunResponse): string {
  const lines = [`models under test (comparison group ${response.comparisonGroup}):`];
  for (const run of response.models) {
    const mlflow = run.outcome.summary.mlflow;
    lines.push(
      `  ${run.model}: ${mlflow !== undefined ? `MLflow run ${mlflow.run_id}` : 'no MLflow run'}, results in ${run.outcome.outDir} (exit ${run.exitCode})`,
    );
  }
  const [first, ...others] = response.models;
  if (first !== undefined && others.length > 0) {
    const pairwise = response.pairwise.length > 0 ? ' --pairwise' : '';
    lines.push('compare them with:');
    for (const other of others)
      lines.push(`  judgeflow compare ${compareSide(first)} ${compareSide(other)}${pairwise}`);
  }
  return lines.join('\n');
}
