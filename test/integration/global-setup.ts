import type { TestProject } from 'vitest/node';
import { startJudgeServer } from './servers/judge.js';
import { startMlflowServer } from './servers/mlflow.js';
import { startRayHead } from './servers/ray.js';

/**
 * Starts every real server the integration tier needs, once, on free ports, and hands their
 * addresses to the tests through `inject()`. API keys are removed so no test can reach a paid service.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'MLFLOW_TRACKING_URI', 'RAY_ADDRESS']) {
    delete process.env[key];
  }
  process.env.MLFLOW_DISABLE_TELEMETRY = 'true';
  // Ray 2.60 turns token auth on for `ray start --head` whenever ~/.ray/auth_token exists, and any
  // local `ray.init()` of the same user writes that file: the test head, and every bridge that joins
  // it, run without token auth whatever the machine's home holds.
  process.env.RAY_AUTH_MODE = 'disabled';
  const stops: Array<() => Promise<void>> = [];
  try {
    // Configured as judgeflow's own local server: PostgreSQL store, 2 workers, job runner off, minimal
    // environment. Tests that need a SQLite server start their own (`store: 'sqlite'`).
    const mlflow = await startMlflowServer();
    stops.push(mlflow.stop);
    project.provide('mlflowUri', mlflow.uri);
    const judge = await startJudgeServer();
    stops.push(judge.stop);
    project.provide('judgeBaseUrl', judge.baseUrl);
    const ray = await startRayHead();
    stops.push(ray.stop);
    project.provide('rayAddress', ray.address);
    project.provide('rayDashboardUrl', ray.dashboardUrl);
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:PORT of a real `mlflow server` as judgeflow runs its own: PostgreSQL store, the batch writer, local artifacts. */
    mlflowUri: string;
    /** http://127.0.0.1:PORT/v1 of `judgeflow serve-judge` over the local GGUF model. */
    judgeBaseUrl: string;
    /** 127.0.0.1:PORT — the GCS address of a real `ray start --head`. */
    rayAddress: string;
    /** http://127.0.0.1:PORT of that head's dashboard (Jobs API). */
    rayDashboardUrl: string;
  }
}
