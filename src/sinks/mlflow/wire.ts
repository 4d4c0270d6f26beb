import { z } from 'zod';

/**
 * MLflow REST entities as the server sends them (proto JSON: snake_case, enums by name, int64 as
 * numbers, Timestamps as RFC3339 strings). Responses are validated with these schemas at the client
 * boundary; unknown fields pass through so a newer server never breaks an older client.
 */

export const keyValueSchema = z.looseObject({ key: z.string(), value: z.string().optional().default('') });
export type KeyValue = { key: string; value: string };

export const experimentSchema = z.looseObject({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string().optional(),
  creation_time: z.number().optional(),
  last_update_time: z.number().optional(),
  tags: z.array(keyValueSchema).optional(),
});
export type Experiment = z.infer<typeof experimentSchema>;

export const runStatusSchema = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
export type MlflowRunStatus = z.infer<typeof runStatusSchema>;

export const runInfoSchema = z.looseObject({
  run_id: z.string(),
  run_name: z.string().optional(),
  experiment_id: z.string(),
  user_id: z.string().optional(),
  status: runStatusSchema.optional(),
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  artifact_uri: z.string().optional(),
  lifecycle_stage: z.string().optional(),
});
export type RunInfo = z.infer<typeof runInfoSchema>;

export const metricSchema = z.looseObject({
  key: z.string(),
  value: z.number(),
  timestamp: z.number().optional(),
  step: z.number().optional(),
});

export const datasetSchema = z.looseObject({
  name: z.string(),
  digest: z.string(),
  source_type: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});
export type MlflowDataset = z.infer<typeof datasetSchema>;

export const runSchema = z.looseObject({
  info: runInfoSchema,
  data: z
    .looseObject({
      metrics: z.array(metricSchema).optional(),
      params: z.array(keyValueSchema).optional(),
      tags: z.array(keyValueSchema).optional(),
    })
    .optional(),
  inputs: z
    .looseObject({
      dataset_inputs: z
        .array(z.looseObject({ dataset: datasetSchema, tags: z.array(keyValueSchema).optional() }))
        .optional(),
      /** LoggedModels the run took as inputs (log-inputs `models`). */
      model_inputs: z.array(z.looseObject({ model_id: z.string() })).optional(),
    })
    .optional(),
});
export type Run = z.infer<typeof runSchema>;

export const loggedModelStatusSchema = z.enum([
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
]);
export type LoggedModelStatus = z.infer<typeof loggedModelStatusSchema>;

/** MLflow 3's LoggedModel (`service.proto` LoggedModel: `info` + `data`). */
export const loggedModelSchema = z.looseObject({
  info: z.looseObject({
    model_id: z.string(),
    experiment_id: z.string(),
    name: z.string(),
    creation_timestamp_ms: z.number().optional(),
    last_updated_timestamp_ms: z.number().optional(),
    artifact_uri: z.string().optional(),
    status: z.string().optional(),
    creator_id: z.union([z.string(), z.number()]).optional(),
    model_type: z.string().optional(),
    source_run_id: z.string().optional(),
    status_message: z.string().optional(),
    tags: z.array(keyValueSchema).optional(),
  }),
  data: z
    .looseObject({
      params: z.array(keyValueSchema).optional(),
      metrics: z.array(metricSchema).optional(),
    })
    .optional(),
});
export type LoggedModel = z.infer<typeof loggedModelSchema>;

export const assessmentSourceSchema = z.looseObject({
  source_type: z.string(),
  source_id: z.string().optional().default(''),
});

export const assessmentErrorSchema = z.looseObject({
  error_code: z.string().optional(),
  error_message: z.string().optional(),
  stack_trace: z.string().optional(),
});

export const assessmentSchema = z.looseObject({
  assessment_id: z.string().optional(),
  assessment_name: z.string(),
  trace_id: z.string().optional(),
  span_id: z.string().optional(),
  source: assessmentSourceSchema,
  create_time: z.string().optional(),
  last_update_time: z.string().optional(),
  feedback: z
    .looseObject({ value: z.unknown().optional(), error: assessmentErrorSchema.optional() })
    .optional(),
  expectation: z
    .looseObject({
      value: z.unknown().optional(),
      serialized_value: z.looseObject({ serialization_format: z.string(), value: z.string() }).optional(),
    })
    .optional(),
  rationale: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  overrides: z.string().optional(),
  valid: z.boolean().optional(),
});
/** An assessment as MLflow stores it (feedback or expectation on a trace). */
export type Assessment = z.infer<typeof assessmentSchema>;

export const traceStateSchema = z.enum(['STATE_UNSPECIFIED', 'OK', 'ERROR', 'IN_PROGRESS']);
export type TraceState = z.infer<typeof traceStateSchema>;

export const traceInfoSchema = z.looseObject({
  trace_id: z.string(),
  client_request_id: z.string().optional(),
  trace_location: z
    .looseObject({
      type: z.string().optional(),
      mlflow_experiment: z.looseObject({ experiment_id: z.string() }).optional(),
    })
    .optional(),
  request_time: z.string().optional(),
  execution_duration: z.string().optional(),
  state: traceStateSchema.optional(),
  request_preview: z.string().optional(),
  response_preview: z.string().optional(),
  trace_metadata: z.record(z.string(), z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  assessments: z.array(assessmentSchema).optional(),
});
/** MLflow's TraceInfoV3. */
export type TraceInfo = z.infer<typeof traceInfoSchema>;

/** A span as `GET /api/3.0/mlflow/traces/get` returns it (OTLP proto JSON, base64 ids). */
export const wireSpanSchema = z.looseObject({
  trace_id: z.string().optional(),
  span_id: z.string(),
  parent_span_id: z.string().optional(),
  name: z.string(),
  start_time_unix_nano: z.union([z.number(), z.string()]).optional(),
  end_time_unix_nano: z.union([z.number(), z.string()]).optional(),
  attributes: z.array(z.looseObject({ key: z.string(), value: z.unknown() })).optional(),
  status: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
});
export type WireSpan = z.infer<typeof wireSpanSchema>;

export const evaluationDatasetSchema = z.looseObject({
  dataset_id: z.string(),
  name: z.string(),
  tags: z.string().optional(),
  schema: z.string().optional(),
  profile: z.string().optional(),
  digest: z.string().optional(),
  created_time: z.number().optional(),
  last_update_time: z.number().optional(),
  created_by: z.string().optional(),
  last_updated_by: z.string().optional(),
  experiment_ids: z.array(z.string()).optional(),
});
/** An MLflow evaluation dataset (metadata only; records are paged separately). */
export type EvaluationDataset = z.infer<typeof evaluationDatasetSchema>;

export const datasetRecordSchema = z.looseObject({
  dataset_record_id: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()),
  outputs: z.unknown().optional(),
  expectations: z.record(z.string(), z.unknown()).nullish(),
  tags: z.record(z.string(), z.unknown()).nullish(),
  source: z.unknown().optional(),
});
/** One record of an evaluation dataset as the server returns it. */
export type DatasetRecord = z.infer<typeof datasetRecordSchema>;

export const registeredModelSchema = z.looseObject({
  name: z.string(),
  tags: z.array(keyValueSchema).optional(),
  aliases: z.array(z.looseObject({ alias: z.string(), version: z.string() })).optional(),
});
export type RegisteredModel = z.infer<typeof registeredModelSchema>;

export const modelVersionSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  description: z.string().optional(),
  tags: z.array(keyValueSchema).optional(),
  aliases: z.array(z.string()).optional(),
  creation_timestamp: z.number().optional(),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

/** `{key,value}` list → record (last one wins, as MLflow's own clients read it). */
export function tagRecord(
  tags: readonly { key: string; value?: string | undefined }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) out[tag.key] = tag.value ?? '';
  return out;
}
