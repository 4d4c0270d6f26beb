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
