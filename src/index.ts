// The public API of the judgeflow package. Everything importable from 'judgeflow' is listed here.

export {
  type CompareOptions,
  type Comparison,
  type ComparisonRow,
  type ComparisonSide,
  compareRuns,
  formatComparison,
  type MetricComparison,
  type PairwiseSummary,
  type RowRegression,
} from './app/compare/index.js';
export { type EvaluateOptions, type EvaluateResult, evaluate } from './app/evaluate.js';
export {
  judgePairs,
  type PairInput,
  type PairwiseOptions,
} from './app/pairwise/index.js';
export { logReportArtifact, renderReport, type WriteReportOptions, writeReport } from './app/report/index.js';
export type { Env } from './config/env.js';
export type {
  DatasetConfig,
  EvalFile,
  JudgeConfig,
  ModelConfig,
  ModelRef,
  ScorerEntry,
} from './config/schema.js';
export { evalFileSchema } from './config/schema.js';
export {
  ConfigError,
  DatasetError,
  JudgeflowError,
  JudgeOutputError,
  MissingComponentError,
  MlflowError,
  ProviderError,
} from './core/errors.js';
export type { RunEvent } from './core/events.js';
export type { ExecuteOptions, Executor } from './core/executor.js';
export {
  type AssessmentSource,
  type AssessmentSourceType,
  errorFeedback,
  type Feedback,
  type FeedbackError,
  type FeedbackValue,
} from './core/feedback.js';
export type { ChatMessage, JudgeClient, JudgeRequest, JudgeResponse } from './core/judge.js';
export type { ModelUnderTest } from './core/model.js';
export type { PredictContext, PredictFn } from './core/predict.js';
export type { DatasetRow, EvalRecord, RecordInput, RowLocation } from './core/record.js';
export type { FeedbackCounts, RowError, RowResult, RunStatus, RunSummary } from './core/result.js';
export type {
  Aggregation,
  PartialFeedback,
  ScoreResult,
  Scorer,
  ScorerArgs,
  ScorerKind,
} from './core/scorer.js';
export type {
  DatasetInfo,
  RunStartInfo,
  Sink,
  SinkFinishOptions,
  SinkProgress,
  SinkReport,
} from './core/sink.js';
export type { RowTrace, Span, SpanHandle, SpanType, StartSpanOptions } from './core/span.js';
export type { TokenUsage, Usage } from './core/usage.js';
export type { DatasetSource } from './datasets/index.js';
export type { ResolvedJudgePrompt } from './judges/registry-prompt.js';
// Every built-in scorer's factory, options type and definition: the registry is the export list.
export * from './scorers/builtins.js';
export { type ScorerFnArgs, type ScorerOptions, scorer } from './scorers/scorer.js';
// Corpus and sentence BLEU / chrF as library functions: a run's translation metrics are per-row means.
export {
  type BleuOptions,
  type BleuScore,
  type BleuSmoothMethod,
  type BleuTokenizer,
  type ChrfOptions,
  type ChrfScore,
  corpusBleu,
  corpusChrf,
  sentenceBleu,
  sentenceChrf,
} from './scorers/translation/index.js';
export type { MlflowRunSection } from './sinks/mlflow/summary-section.js';
