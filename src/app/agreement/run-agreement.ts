import path from 'node:path';
import { readEnv } from '../../config/env.js';
import type { JudgeConfig, ModelRef } from '../../config/schema.js';
import type { RunEvent } from '../../core/events.js';
import type { Scorer } from '../../core/scorer.js';
import { createJudgeResolver } from '../../judges/create-judge-resolver.js';
import type { ResolvedJudgePrompt } from '../../judges/registry-prompt.js';
import { HttpRuntime, probeEndpoints } from '../../runtime/index.js';
import { scorerRegistry } from '../../scorers/index.js';
import type { MlflowRunSection } from '../../sinks/mlflow/summary-section.js';
import type { KappaWeights } from '../../stats/agreement.js';
import { evaluateWith } from '../evaluate.js';
import { AGREEMENT_TABLE, type AgreementReport, createAgreementSink } from './agreement-sink.js';
import { type AgreementSet, checkSetScorer, HUMAN_LABEL_KEY } from './set-file.js';

/** The experiment agreement runs go to unless told otherwise. */
export const DEFAULT_AGREEMENT_EXPERIMENT = 'judgeflow-agreement';

export interface AgreementRequest {
  /** The sets to run (already read and filtered). */
  sets: readonly AgreementSet[];
  /** The judge (`judge:` of an eval file, or `{model}` from `--judge`); default as a run's. */
  judge?: JudgeConfig;
  /** Where relative paths in `judge` resolve (the eval file's folder). */
  judgeBaseDir: string;
  env: Record<string, string | undefined>;
  /** Only the first N cases of each set. */
  limit?: number;
  /**
   * Prompt versions from MLflow's prompt registry to compare: every set runs once per version (its
   * own run, tagged with the version), its judge taking that version's prompt.
   */
  promptVersions?: readonly ResolvedJudgePrompt[];
  includeBorderline: boolean;
  /** Weights for ordinal (integer-labelled) sets; default quadratic. */
  weights?: KappaWeights;
  concurrency: number;
  /** The tracking server; undefined: files only. */
  mlflow?: { trackingUri: string };
  experiment: string;
  /** Absolute; each set writes to `<outRoot>/<metric>`. */
  outRoot: string;
  /** Stops dispatching cases (Ctrl-C); sets not started are skipped. */
  signal?: AbortSignal;
  /** Run events of one set (progress). */
  onEvent?: (set: AgreementSet, event: RunEvent) => void;
  log: (line: string) => void;
}

/** What one set's run gave. */
export interface SetOutcome {
  set: AgreementSet;
  report: AgreementReport;
  /** The judge's model URI (the assessments' source id); `none` for a code scorer. */
  judgeModel: string;
  outDir: string;
  mlflow?: MlflowRunSection;
  pendingWrites: number;
  /** The registry prompt version the judge used (`--prompt-versions`); undefined: the set's own prompt. */
  prompt?: ResolvedJudgePrompt;
}

/** Run tags naming the registry prompt version an agreement run's judge used. */
export const AGREEMENT_PROMPT_NAME_TAG = 'judgeflow.prompt.name';
export const AGREEMENT_PROMPT_VERSION_TAG = 'judgeflow.prompt.version';

/**
 * `judgeflow agreement`: every set's scorer over its cases through the normal evaluation (results
 * files; with MLflow one run per set, each case a trace with the judge's assessment and the human label
 * as the expectation `human_label`), then accuracy and Cohen's kappa of the judge against the labels.
 * Every set's scorer is built, and every judge endpoint probed, before the first judge call.
 */
export async function runAgreement(request: AgreementRequest): Promise<SetOutcome[]> {
  const registry = scorerRegistry();
  const feedbacks = request.sets.map((set) => checkSetScorer(set, registry));
  const env = readEnv(request.env);
  const runtime = new HttpRuntime();
  // One resolver for every set: one judge client (one loaded local model) for the whole command.
  const judges = createJudgeResolver(request.judge, {
    env,
    runtime,
    baseDir: request.judgeBaseDir,
    defaultConcurrency: request.concurrency,
  });
  try {
    const built: Array<{
      set: AgreementSet;
      feedback: string;
      scorer: Scorer;
      judgeModel: string;
      prompt: ResolvedJudgePrompt | undefined;
    }> = [];
    const versions = request.promptVersions ?? [];
    for (const [i, set] of request.sets.entries()) {
      for (const prompt of versions.length > 0 ? versions : [undefined]) {
        const entry = prompt !== undefined ? withPrompt(set.scorer, prompt) : set.scorer;
        const scorer = await registry.create(
          entry,
          { baseDir: path.dirname(set.file), env, judges },
          { file: set.file, field: 'scorer', lineOf: (where) => set.lineOf(['scorer', ...where]) },
        );
        const judgeModel =
          scorer.kind === 'llm_judge'
            ? judges.resolve(scorerModel(set.scorer), { field: `${path.basename(set.file)}: scorer.model` })
                .modelUri
            : 'none';
        built.push({
          set,
          feedback: feedbacks[i] as string,
          scorer: withoutHumanLabel(scorer),
          judgeModel,
          prompt,
        });
      }
    }
    // An unreachable judge server ends the command before any call (exit 5), as it ends a run.
    await probeEndpoints(runtime, request.signal !== undefined ? { signal: request.signal } : {});

    const outcomes: SetOutcome[] = [];
    for (const job of built) {
      if (request.signal?.aborted) break;
      outcomes.push(await runSet(request, job.set, job.scorer, job.feedback, job.judgeModel, job.prompt));
    }
    return outcomes;
  } finally {
    await judges.close();
    await runtime.close();
  }
}

async function runSet(
  request: AgreementRequest,
  set: AgreementSet,
  scorer: Scorer,
  feedback: string,
  judgeModel: string,
  prompt: ResolvedJudgePrompt | undefined,
): Promise<SetOutcome> {
  const cases = request.limit !== undefined ? set.cases.slice(0, request.limit) : set.cases;
  const sink = createAgreementSink({
    set,
    cases,
    feedback,
    agreement: {
      includeBorderline: request.includeBorderline,
      ...(request.weights !== undefined ? { weights: request.weights } : {}),
    },
  });
  const records = cases.map((c) => ({
    id: c.id,
    inputs: c.inputs,
    outputs: c.outputs,
    expectations: { ...c.expectations, [HUMAN_LABEL_KEY]: c.label },
    tags: { borderline: String(c.borderline) },
  }));
  const variant = prompt !== undefined ? `-${prompt.name}-v${prompt.version}` : '';
  const outDir = path.join(request.outRoot, fileSafe(`${set.metric}${variant}`));
  const onEvent = request.onEvent;
  const result = await evaluateWith(
    {
      data: {
        kind: 'rows',
        name: `agreement-${set.metric}`,
        source: set.file,
        rows: () => records,
        origin: { sourceType: 'local', source: { uri: set.file } },
      },
      scorers: [scorer],
      ...(request.judge !== undefined ? { judge: request.judge } : {}),
      concurrency: request.concurrency,
      outDir,
      experiment: request.experiment,
      runName: `agreement-${set.metric}${variant}`,
      mlflow: request.mlflow !== undefined ? { trackingUri: request.mlflow.trackingUri } : false,
      env: request.env,
      log: request.log,
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
      ...(onEvent !== undefined ? { onEvent: (event: RunEvent) => onEvent(set, event) } : {}),
    },
    {
      derivedSinks: [sink],
      mlflowTables: [AGREEMENT_TABLE],
      mlflowTags: {
        'judgeflow.agreement': 'true',
        'judgeflow.agreement.metric': set.metric,
        'judgeflow.agreement.judge_model': judgeModel,
        'judgeflow.agreement.set': path.basename(set.file),
        'judgeflow.agreement.set_digest': set.digest,
        'judgeflow.agreement.label_of': set.labelOfText,
        'judgeflow.agreement.kappa_weights': kappaWeightsOf(set, request),
        'judgeflow.agreement.include_borderline': String(request.includeBorderline),
        ...(prompt !== undefined
          ? {
              [AGREEMENT_PROMPT_NAME_TAG]: prompt.name,
              [AGREEMENT_PROMPT_VERSION_TAG]: prompt.version,
              // MLflow's own link from a run to the prompt versions it used
              'mlflow.linkedPrompts': JSON.stringify([{ name: prompt.name, version: prompt.version }]),
            }
          : {}),
      },
    },
  );
  const report = sink.report();
  if (report === undefined) throw new Error(`agreement: the run of ${set.file} ended without a report`);
  return {
    set,
    report,
    judgeModel,
    outDir,
    ...(result.mlflow !== undefined ? { mlflow: result.mlflow } : {}),
    pendingWrites: result.pendingWrites,
    ...(prompt !== undefined ? { prompt } : {}),
  };
}

/** The set's scorer entry with its judge taking `prompt` (a registry version). */
function withPrompt(entry: AgreementSet['scorer'], prompt: ResolvedJudgePrompt): AgreementSet['scorer'] {
  return typeof entry === 'string' ? { type: entry, prompt } : { ...entry, prompt };
}

function kappaWeightsOf(set: AgreementSet, request: AgreementRequest): KappaWeights {
  return set.ordinal ? (request.weights ?? 'quadratic') : 'none';
}

/** The scorer entry's own judge (`model:`), if it names one. */
function scorerModel(entry: AgreementSet['scorer']): ModelRef | undefined {
  return typeof entry === 'object' && entry.model !== undefined ? (entry.model as ModelRef) : undefined;
}

/**
 * The scorer, scoring rows without the `human_label` expectation: the label is recorded with the
 * row (an expectation in MLflow) but a judge that reads expectations must never see it.
 */
function withoutHumanLabel(scorer: Scorer): Scorer {
  return {
    name: scorer.name,
    kind: scorer.kind,
    ...(scorer.aggregations !== undefined ? { aggregations: scorer.aggregations } : {}),
    ...(scorer.feedbackNames !== undefined ? { feedbackNames: scorer.feedbackNames } : {}),
    score: (args) => {
      const { [HUMAN_LABEL_KEY]: _label, ...expectations } = args.expectations;
      return scorer.score({ ...args, expectations });
    },
  };
}

/** A metric name as a folder name. */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}
