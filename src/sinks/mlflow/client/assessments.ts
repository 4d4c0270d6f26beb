import { z } from 'zod';
import type { MlflowHttp } from '../http.js';
import { type Assessment, assessmentSchema } from '../wire.js';
import { unlessNotFound } from './not-found.js';

/**
 * Creates one assessment. Not retried after an ambiguous failure: a second create with the same id
 * fails on the server (a constraint violation, HTTP 500), one without an id would duplicate it —
 * callers check the trace's assessments first (see `missingAssessments`).
 */
export async function createAssessment(
  http: MlflowHttp,
  traceId: string,
  assessment: Assessment,
): Promise<Assessment> {
  const out = await http.call({
    method: 'POST',
    path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}/assessments`,
    json: { assessment: { ...assessment, trace_id: traceId } },
    idempotent: false,
    schema: z.looseObject({ assessment: assessmentSchema }),
  });
  return out.assessment;
}

export async function getAssessment(
  http: MlflowHttp,
  traceId: string,
  assessmentId: string,
): Promise<Assessment | undefined> {
  return unlessNotFound(async () => {
    const out = await http.call({
      method: 'GET',
      path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}/assessments/${encodeURIComponent(assessmentId)}`,
      idempotent: true,
      schema: z.looseObject({ assessment: assessmentSchema }),
    });
    return out.assessment;
  });
}

/** The assessment fields `updateAssessment` may change; source and span stay as they are (the server refuses to change them). */
export interface AssessmentUpdate {
  name?: string;
  feedback?: { value: unknown };
  expectation?: NonNullable<Assessment['expectation']>;
  rationale?: string;
  metadata?: Record<string, string>;
}

/**
 * UpdateAssessment, as Python's `mlflow.update_assessment` sends it: `PATCH
 * /api/3.0/mlflow/traces/{trace}/assessments/{id}` with the changed fields and an `update_mask`
 * naming them (a FieldMask in proto JSON: comma-separated camelCase paths). The server keeps the
 * id, source, span, `valid` and `overrides`, merges metadata and stamps `last_update_time`.
 * Idempotent: the same update twice leaves the same assessment.
 */
export async function updateAssessment(
  http: MlflowHttp,
  traceId: string,
  assessmentId: string,
  update: AssessmentUpdate,
): Promise<Assessment> {
  const assessment: Record<string, unknown> = { assessment_id: assessmentId, trace_id: traceId };
  const mask: string[] = [];
  if (update.name !== undefined) {
    assessment.assessment_name = update.name;
    mask.push('assessmentName');
  }
  if (update.expectation !== undefined) {
    assessment.expectation = update.expectation;
    mask.push('expectation');
  }
  if (update.feedback !== undefined) {
    assessment.feedback = update.feedback;
    mask.push('feedback');
  }
  if (update.rationale !== undefined) {
    assessment.rationale = update.rationale;
    mask.push('rationale');
  }
  if (update.metadata !== undefined) {
    assessment.metadata = update.metadata;
    mask.push('metadata');
  }
  const out = await http.call({
    method: 'PATCH',
    path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}/assessments/${encodeURIComponent(assessmentId)}`,
    json: { assessment, update_mask: mask.join(',') },
    idempotent: true,
    schema: z.looseObject({ assessment: assessmentSchema }),
  });
  return out.assessment;
}
