import { createHash } from 'node:crypto';

// A row's trace id and root span id derive from (run id, row id): writing the same row again (a retry,
// a spool replay, `judgeflow mlflow sync`) addresses the same trace, so the write is a no-op.

/** Derives a 128-bit MLflow trace id (32 hex) from the run id and the row id. */
export function traceIdFor(runId: string, rowId: string): string {
  return createHash('sha256').update(`${runId}\u0000${rowId}`).digest('hex').slice(0, 32);
}

/** Derives the root span id (16 hex) of a row's trace from the run id and row id. */
export function rootSpanIdFor(runId: string, rowId: string): string {
  return createHash('sha256').update(`root\u0000${runId}\u0000${rowId}`).digest('hex').slice(0, 16);
}
