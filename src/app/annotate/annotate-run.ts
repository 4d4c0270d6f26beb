import type { MlflowClient } from '../../sinks/mlflow/client.js';
import type { Scale } from '../feedback/scale.js';
import { writeHumanLabel } from '../feedback/write.js';
import { type Criterion, chooseCriteria, inferCriteria } from './criteria.js';
import { type HumanAnswer, humanAnswers, loadAnnotationRun, loadRowDetail } from './rows.js';
import { type AnnotateServer, type AnnotationLabel, startAnnotateServer } from './server.js';

export interface AnnotateRunOptions {
  client: MlflowClient;
  runId: string;
  /** `--reviewer`; without it the page asks. */
  reviewer?: string;
  /** `--criteria a,b` (optionally `name:pass_fail` / `name:1-5`); default every labellable feedback name. */
  criteria?: readonly string[];
  port?: number;
  token?: string;
  log?: (line: string) => void;
}

export interface AnnotateSession extends AnnotateServer {
  criteria: Criterion[];
  /** Feedback names of the run left out of the default criteria (no pass/fail or 1–5 scale). */
  skipped: string[];
  rows: number;
}

/**
 * Reads a run's traces from MLflow, settles the criteria, and serves the annotation page. Each label
 * the page gives is written at once with `writeHumanLabel` (a HUMAN feedback, the reviewer as its
 * source id; see docs/annotate.md).
 */
export async function startAnnotation(options: AnnotateRunOptions): Promise<AnnotateSession> {
  const { client } = options;
  const run = await loadAnnotationRun(client, options.runId);
  const inferred = inferCriteria(run.traceInfos.map((info) => info.assessments ?? []));
  const criteria = chooseCriteria(inferred.criteria, options.criteria);
  const initialAnswers = new Map<string, readonly HumanAnswer[]>(
    run.traceInfos.map((info) => [info.trace_id, humanAnswers(info.assessments ?? [])]),
  );
  const server = await startAnnotateServer({
    source: {
      runId: run.runId,
      runName: run.runName,
      rows: run.rows,
      initialAnswers,
      readRow: (row) => loadRowDetail(client, row),
      writeLabel: (label: AnnotationLabel) => {
        const criterion = criteria.find((c) => c.name === label.name);
        // the session's scale, so a trace whose judge errored still takes the label in the run's form
        return writeHumanLabel(
          client,
          label,
          criterion !== undefined ? { scale: feedbackScale(criterion) } : {},
        );
      },
    },
    criteria,
    ...(options.reviewer !== undefined ? { reviewer: options.reviewer } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  return {
    ...server,
    criteria,
    skipped: options.criteria === undefined ? inferred.skipped : [],
    rows: run.rows.length,
  };
}

/** The feedback module's name for a criterion's scale. */
function feedbackScale(criterion: Criterion): Scale {
  const scale = criterion.scale;
  if (scale.kind === 'rubric') return { kind: 'rubric', min: scale.min, max: scale.max };
  return { kind: 'pass-fail', written: scale.form === 'boolean' ? 'boolean' : 'yes-no' };
}
