/**
 * The `mlflow` section of summary.json: where the run is in MLflow. The core's `RunSummary` knows
 * nothing of MLflow; this module adds the section to it (TypeScript declaration merging), the way
 * any sink declares the section its `summaryPatch` fills.
 */
export interface MlflowRunSection {
  tracking_uri: string;
  experiment_id: string;
  run_id: string;
  /** The run's page in the MLflow UI. */
  url: string;
  /** Writes left in `<out>/mlflow-spool/` for `judgeflow mlflow sync` (absent when none). */
  pending_writes?: number;
}

declare module '../../core/result.js' {
  interface RunSummary {
    /** Set by the MLflow sink (`src/sinks/mlflow/summary-section.ts`). */
    mlflow?: MlflowRunSection;
  }
}
