import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { evaluate } from '../../src/app/evaluate.js';
import { readEnv } from '../../src/config/env.js';
import type { ModelRef } from '../../src/config/schema.js';
import type { Feedback } from '../../src/core/feedback.js';
import type { RowResult } from '../../src/core/result.js';
import type { Scorer } from '../../src/core/scorer.js';
import { createJudgeResolver } from '../../src/judges/create-judge-resolver.js';
import type { JudgeResolver } from '../../src/judges/resolver.js';
import { fromFunction } from '../../src/models/index.js';
import { runRow } from '../../src/runner/pipeline.js';
import { HttpRuntime } from '../../src/runtime/http-runtime.js';
import {
  bindJudges,
  Completeness,
  Correctness,
  Equivalence,
  ExpectationsGuidelines,
  Fluency,
  Guidelines,
  makeJudge,
  RelevanceToQuery,
  RetrievalGroundedness,
  RetrievalRelevance,
  RetrievalSufficiency,
  Safety,
  Summarization,
} from '../../src/scorers/index.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { testJudgeModelPath } from './servers/judge.js';

// Every built-in judge and a custom judge against the real local model (Gemma 3 270M), once through
// `serve-judge` (an OpenAI-compatible HTTP server) and once embedded in this process — one row each,
// so the ~14 calls per pass stay within a minute or so on two cores.

const ANSWER = 'MLflow is an open source platform for managing the machine learning lifecycle.';

function allJudges(): Scorer[] {
  return [
    Correctness(),
    Guidelines({ name: 'is_english', guidelines: 'The answer is in English.' }),
    ExpectationsGuidelines(),
    RelevanceToQuery(),
    Safety(),
    Equivalence(),
    Completeness(),
    Fluency(),
    Summarization(),
    RetrievalGroundedness(),
    RetrievalRelevance(),
    RetrievalSufficiency(),
    makeJudge({
      name: 'mentions_mlflow',
      instructions: 'Does this answer mention MLflow by name? {{ outputs }}',
      valueType: 'boolean',
    }),
  ];
}

/** The model under test: answers and records a RETRIEVER span, as a RAG app would. */
const model = fromFunction((_inputs, context) => {
  const retrieval = context.startSpan({
    name: 'search_docs',
    spanType: 'RETRIEVER',
    inputs: { query: 'MLflow' },
  });
  retrieval.end({
    outputs: [{ page_content: 'MLflow is an open source platform for the machine learning lifecycle.' }],
  });
  return ANSWER;
});

async function judgeOneRow(judges: JudgeResolver): Promise<RowResult> {
  const scorers = bindJudges(allJudges(), judges);
  return runRow(
    {
      record: {
        id: 'what-is-mlflow',
        inputs: { question: 'What is MLflow?' },
        expectations: {
          expected_response: 'MLflow is an open source MLOps platform.',
          guidelines: ['The answer is in English.'],
        },
      },
      index: 0,
      location: { source: '<test>', line: 1 },
    },
    { model, scorers, close: async () => {} },
    new AbortController().signal,
  );
}

/** Schema-valid verdicts from the judge, with usage, and a judge span per call. */
function expectValidJudgeFeedbacks(result: RowResult, sourceId: string): void {
  const byName = new Map<string, Feedback[]>();
  for (const feedback of result.feedbacks)
    byName.set(feedback.name, [...(byName.get(feedback.name) ?? []), feedback]);
  expect([...byName.keys()].sort()).toEqual(
    [
      'completeness',
      'correctness',
      'equivalence',
      'expectations_guidelines',
      'fluency',
      'is_english',
      'mentions_mlflow',
      'relevance_to_query',
      'retrieval_groundedness',
      'retrieval_relevance',
      'retrieval_relevance/precision',
      'retrieval_sufficiency',
      'safety',
      'summarization',
    ].sort(),
  );
  for (const feedback of result.feedbacks) {
    expect(feedback.error, `${feedback.name}: ${feedback.error?.message}`).toBeUndefined();
    expect(feedback.source).toEqual({ type: 'LLM_JUDGE', id: sourceId });
    if (feedback.name === 'mentions_mlflow') expect(typeof feedback.value).toBe('boolean');
    else if (feedback.name === 'retrieval_relevance/precision') expect([0, 1]).toContain(feedback.value);
    else expect(['yes', 'no']).toContain(feedback.value);
    if (feedback.name !== 'retrieval_relevance/precision') {
      expect(typeof feedback.rationale).toBe('string');
      expect(Number(feedback.metadata?.['mlflow.assessment.judgeInputTokens'])).toBeGreaterThan(0);
      expect(Number(feedback.metadata?.['mlflow.assessment.judgeOutputTokens'])).toBeGreaterThan(0);
    }
  }
  const judgeSpans = result.trace.spans.filter((span) => span.name.startsWith('judge/'));
  // 13 judges, RetrievalRelevance judging its one chunk; Equivalence asks too (the texts differ)
  expect(judgeSpans.length).toBeGreaterThanOrEqual(13);
  expect(result.usage.judgeCalls).toBe(judgeSpans.length);
  for (const span of judgeSpans) {
    expect(span.spanType).toBe('LLM');
    expect(span.status.code).toBe('OK');
    expect(
      (span.attributes['mlflow.chat.tokenUsage'] as { input_tokens: number }).input_tokens,
    ).toBeGreaterThan(0);
  }
  expect(result.usage.judge.inputTokens).toBeGreaterThan(0);
}

describe('the local model through serve-judge', () => {
  let runtime: HttpRuntime;
  let judges: JudgeResolver;
  beforeAll(() => {
    runtime = new HttpRuntime();
    judges = createJudgeResolver(
      {
        model: {
          provider: 'openai-compatible',
          base_url: inject('judgeBaseUrl'),
          model: 'gemma-3-270m-q4_k_m',
        },
        // One call in flight: the server answers one at a time anyway, and a call queued client-side
        // does not run down its own timeout while it waits behind the others on a busy CI machine.
        concurrency: 1,
        timeout_s: 120,
      },
      { env: readEnv({}), runtime },
    );
  });
  afterAll(async () => {
    await judges.close();
    await runtime.close();
  });

  it('answers every built-in judge and a custom judge with schema-valid verdicts', async () => {
    const result = await judgeOneRow(judges);
    expectValidJudgeFeedbacks(result, 'openai-compatible:/gemma-3-270m-q4_k_m');
  });
});

describe('the local model embedded in the process', () => {
  let runtime: HttpRuntime;
  let judges: JudgeResolver;
  beforeAll(async () => {
    runtime = new HttpRuntime();
    judges = createJudgeResolver(
      { model: `local:${await testJudgeModelPath()}` },
      { env: readEnv({}), runtime },
    );
  });
  afterAll(async () => {
    await judges.close();
    await runtime.close();
  });

  it('answers every built-in judge and a custom judge with schema-valid verdicts', async () => {
    const result = await judgeOneRow(judges);
    expectValidJudgeFeedbacks(result, 'local:/gemma-3-270m-q4_k_m');
  });
});

describe('judge feedbacks in MLflow', () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-judge-mlflow-'));
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('lands as LLM_JUDGE assessments with token metadata, next to judge spans with usage', async () => {
    const judge: ModelRef = {
      provider: 'openai-compatible',
      base_url: inject('judgeBaseUrl'),
      model: 'gemma-3-270m-q4_k_m',
    };
    const result = await evaluate({
      data: [
        {
          inputs: { question: 'Can MLflow evaluate LLMs?' },
          outputs: 'Yes. MLflow evaluates LLM applications with built-in and custom judges.',
          expectations: { expected_response: 'Yes, MLflow can evaluate LLMs.' },
        },
      ],
      scorers: [
        'correctness',
        {
          type: 'judge',
          name: 'says_yes',
          instructions: 'Does {{ outputs }} answer yes?',
          value_type: 'boolean',
        },
      ],
      judge: { model: judge, concurrency: 1, timeout_s: 120 },
      mlflow: { trackingUri: inject('mlflowUri') },
      experiment: `judges-${Date.now()}`,
      outDir,
      env: {},
    });
    expect(result.summary.rows).toBe(1);
    const runId = result.mlflow?.run_id ?? '';
    const client = new MlflowClient({ trackingUri: inject('mlflowUri') });
    try {
      const traces = [];
      for await (const trace of client.searchAllTraces({
        experimentIds: [result.mlflow?.experiment_id ?? ''],
        filter: `attributes.run_id = '${runId}'`,
      })) {
        traces.push(trace);
      }
      expect(traces).toHaveLength(1);
      const assessments = traces[0]?.assessments ?? [];
      for (const name of ['correctness', 'says_yes']) {
        const assessment = assessments.find((a) => a.assessment_name === name);
        expect(assessment, name).toMatchObject({
          source: { source_type: 'LLM_JUDGE', source_id: 'openai-compatible:/gemma-3-270m-q4_k_m' },
        });
        expect(assessment?.feedback?.error).toBeUndefined();
        expect(typeof assessment?.rationale).toBe('string');
        expect(Number(assessment?.metadata?.['mlflow.assessment.judgeInputTokens'])).toBeGreaterThan(0);
      }
      expect(['yes', 'no']).toContain(
        assessments.find((a) => a.assessment_name === 'correctness')?.feedback?.value,
      );
      const full = await client.getTrace(traces[0]?.trace_id ?? '');
      const spans =
        full?.spans.filter((s) => s.name === 'judge/correctness' || s.name === 'judge/says_yes') ?? [];
      expect(spans).toHaveLength(2);
      const usage = spans[0]?.attributes?.find((a) => a.key === 'mlflow.chat.tokenUsage');
      expect(usage).toBeDefined();
    } finally {
      await client.close();
    }
  });
});
