export {
  type BatchTarget,
  type BatchWriteResult,
  type BatchWriterInfo,
  type BatchWriterLimits,
  planBatchRequests,
  probeBatchWriter,
  writeTraceBatch,
} from './batch-writer.js';
export {
  isNotFound,
  MlflowClient,
  type PromptVersion,
  type SearchTracesOptions,
  type SpanIngest,
} from './client.js';
export {
  fromMlflowRecord,
  mlflowDatasetSource,
  pushDataset,
  requireDataset,
  toMlflowRecord,
} from './datasets.js';
export { type MlflowAuth, MlflowHttp, type MlflowHttpOptions, mlflowAuthFromEnv } from './http.js';
export { chunkLogBatch, mlflowLimits, truncate } from './limits.js';
export { isOutage } from './outage.js';
export {
  BUILTIN_JUDGE_TAG,
  loadJudgePromptVersion,
  loadPromptTemplate,
  newestPromptVersion,
  type PromptUri,
  parsePromptUri,
  pushDecision,
  pushPromptIfChanged,
} from './prompts.js';
export { mlflowRunUrl } from './run-finish.js';
export {
  type MlflowServerRecord,
  type MlflowServerStatus,
  type MlflowUpResult,
  mlflowDown,
  mlflowStatus,
  mlflowUp,
  resolveTrackingUri,
  type TrackingTarget,
} from './server.js';
export { createMlflowSink, type MlflowSinkOptions } from './sink.js';
export type { MlflowRunSection } from './summary-section.js';
export { type SyncReport, syncSpool } from './sync.js';
export { buildTraceJob, missingAssessments, type TraceContext, type TraceJob } from './trace-job.js';
export type * from './wire.js';
