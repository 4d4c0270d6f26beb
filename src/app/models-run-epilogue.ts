import { formatComparison } from './compare/index.js';
import type { ModelsRunResponse } from './run-eval-file.js';

/** How `judgeflow compare` names one model's run: its MLflow run id, else its output folder. */
export function compareSide(run: ModelsRunResponse['models'][number]): string {
  return run.outcome.summary.mlflow?.run_id ?? run.outcome.outDir;
}

/**
 * What `judgeflow run` prints after the runs of a `models:` file: each model's run (MLflow run id or
 * folder) and the comparison group, then the comparison of the first model with each other one — or,
 * when no comparison was made (interrupted, or it failed), why, and the `judgeflow compare` commands
 * that make it.
 */
export function modelsRunEpilogue(response: ModelsRunResponse, options: { width?: number } = {}): string {
  const lines = [`models under test (comparison group ${response.comparisonGroup}):`];
  for (const run of response.models) {
    const mlflow = run.outcome.summary.mlflow;
    lines.push(
      `  ${run.model}: ${mlflow !== undefined ? `MLflow run ${mlflow.run_id}` : 'no MLflow run'}, results in ${run.outcome.outDir} (exit ${run.exitCode})`,
    );
  }
  for (const comparison of response.comparisons) {
    lines.push('', formatComparison(comparison, options.width !== undefined ? { width: options.width } : {}));
  }
  const [first, ...others] = response.models;
  if (first !== undefined && others.length > 0 && response.comparisons.length < others.length) {
    const why =
      response.comparisonError !== undefined
        ? `the comparison failed: ${response.comparisonError}`
        : 'not every model ran, so the models were not compared';
    const pairwise = response.pairwise.length > 0 ? ' --pairwise' : '';
    lines.push('', `${why}; compare them with:`);
    for (const other of others)
      lines.push(`  judgeflow compare ${compareSide(first)} ${compareSide(other)}${pairwise}`);
  }
  return lines.join('\n');
}
