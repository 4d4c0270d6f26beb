import type { Env } from '../config/env.js';
import type { JudgeConfig, ModelConfig, ScorerEntry } from '../config/schema.js';
import type { ModelUnderTest } from '../core/model.js';
import type { Scorer } from '../core/scorer.js';
import { createJudgeResolver, localModelFactory } from '../judges/index.js';
import type { JudgeResolver } from '../judges/resolver.js';
import { createModel, modelKeyVariable } from '../models/index.js';
import { HttpRuntime } from '../runtime/index.js';
import { bindJudges, scorerRegistry } from '../scorers/index.js';
import type { RowPipeline } from './pipeline.js';

/**
 * The serializable part of a run that every worker needs to rebuild the same per-row pipeline:
 * the model under test, the judge defaults and the scorers — all by configuration, custom code by
 * module path. The driver sends it to Ray workers; secrets are not in it (only env var names).
 */
export interface PipelinePlan {
  /** Directory that module paths and schema files resolve against (the eval file's folder). */
  baseDir: string;
  /** The eval file, for error messages. */
  file?: string;
  model?: ModelConfig;
  judge?: JudgeConfig;
  scorers: ScorerEntry[];
  /** Rows in flight; the model endpoint's concurrency defaults to it. */
  concurrency?: number;
}

export interface BuildOptions {
  env: Env;
  /** Shared HTTP runtime; one is created (and closed with the pipeline) when omitted. */
  runtime?: HttpRuntime;
  /** Extra, already-built pieces from the library API (closures cannot travel to workers). */
  model?: ModelUnderTest;
  extraScorers?: Scorer[];
}

/** Builds the plan's scorers (judge clients are created lazily, on their first call). */
export async function buildScorers(
  plan: PipelinePlan,
  options: { env: Env; judges: JudgeResolver },
): Promise<Scorer[]> {
  const registry = scorerRegistry();
  const context = { baseDir: plan.baseDir, env: options.env, judges: options.judges };
  const scorers: Scorer[] = [];
  for (const [i, entry] of plan.scorers.entries()) {
    scorers.push(
      await registry.create(entry, context, {
        field: `scorers[${i}]`,
        ...(plan.file !== undefined ? { file: plan.file } : {}),
      }),
    );
  }
  return scorers;
}

/** Builds the per-row pipeline from a plan: the same call in the CLI process and in a Ray worker. */
export async function buildPipeline(plan: PipelinePlan, options: BuildOptions): Promise<RowPipeline> {
  const ownsRuntime = options.runtime === undefined;
  const runtime = options.runtime ?? new HttpRuntime();
  const judges = createJudgeResolver(plan.judge, {
    env: options.env,
    runtime,
    baseDir: plan.baseDir,
    ...(plan.concurrency !== undefined ? { defaultConcurrency: plan.concurrency } : {}),
  });
  const scorers = await buildScorers(plan, { env: options.env, judges });
  // library scorer objects (Correctness(), makeJudge(...)) use this run's judges and `judge:` settings
  scorers.push(...bindJudges(options.extraScorers ?? [], judges));
  const model =
    options.model ??
    (plan.model !== undefined
      ? await createModel(plan.model, {
          baseDir: plan.baseDir,
          env: options.env,
          runtime,
          localFactory: localModelFactory(judges),
          ...(plan.concurrency !== undefined ? { concurrency: plan.concurrency } : {}),
        })
      : undefined);
  const modelKey = modelKeyVariable(plan.model);
  return {
    model,
    scorers,
    keyVariables: [
      ...new Set([...(modelKey !== undefined ? [modelKey] : []), ...(judges.keyVariables?.() ?? [])]),
    ].sort(),
    close: async () => {
      await model?.close();
      await judges.close();
      if (ownsRuntime) await runtime.close();
    },
  };
}
