export { BenchTaskError } from './errors.js';
export { type BenchTableRow, benchTableRows, formatBenchTable } from './format.js';
export { benchMetricName, splitResultKey, type TaskMetric, taskMetrics } from './metric-names.js';
export {
  BENCH_DEFAULTS,
  type BenchCliOptions,
  type BenchEndpoint,
  type BenchRequest,
  checkBaseUrl,
  publicUrl,
  validateBenchOptions,
} from './options.js';
export { planShards, type Shard, type ShardPlanOptions } from './plan-shards.js';
export { benchDigest, recordBench } from './record-run.js';
export { buildTaskRecords, parseSamplesJsonl } from './records.js';
export { type BenchContext, type BenchResult, builtinTasksDir, runBench } from './run-bench.js';
