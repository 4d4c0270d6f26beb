// The same evaluation as a local one, fanned out over Ray: `npm run example:parallel` (from a fresh
// clone it installs what is missing, starts a local MLflow server and runs this file).
//
// With RAY_ADDRESS set (or a cluster started on this machine by `ray start`) the rows run there;
// without one, judgeflow starts a local Ray head for this run, as `ray.init()` does, and stops it at
// the end. Code travels by name: the model and the custom scorer are modules every worker loads.
// Run alone: MLFLOW_TRACKING_URI=http://127.0.0.1:5000 npx tsx examples/parallel_eval.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../src/index.js';

const here = path.join(path.dirname(fileURLToPath(import.meta.url)), 'parallel');

const result = await evaluate({
  data: path.join(here, 'qa.jsonl'),
  baseDir: here,
  model: { provider: 'module', path: './predict.ts', export: 'predict' },
  scorers: [
    'exact_match',
    { type: 'module', path: './scorers.ts', export: 'admitsIgnorance', name: 'admits_ignorance' },
  ],
  ray: { workers: 2, workerConcurrency: 8 },
  experiment: 'judgeflow-parallel',
  runName: 'parallel-qa-on-ray',
});

console.log(result.metrics);
console.log(`results: ${result.resultsPath}`);
if (result.ray !== undefined) {
  console.log(
    `Ray dashboard: ${result.ray.dashboardUrl || '(this cluster has none)'}${result.ray.startedLocal ? ' (a local head, stopped now that the run is over)' : ''}`,
  );
}
if (result.mlflow !== undefined) console.log(`mlflow run: ${result.mlflow.url}`);
