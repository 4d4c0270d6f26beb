// A typical evaluation row for the MLflow write benchmarks (mlflow-wire.md §9's "evaluation row"): a
// trace of 3 spans (~4 KB: the root, the model call and a judge call), one LLM-judge feedback and one
// expectation; plus the run start info and summary the sink needs around them.

import { newSpanId } from '../src/core/span.ts';
import { emptyUsage } from '../src/core/usage.ts';

export function runStartInfo(outDir, N) {
  return {
    runName: 'write-cost',
    experiment: `bench-write-cost-${Date.now()}`,
    startedAt: new Date(),
    totalRows: N,
    params: { rows: String(N) },
    dataset: {
      name: 'bench',
      digest: 'bench',
      sourceType: 'code',
      source: {},
      rows: N,
      schema: { inputs: ['question'], outputs: 'string', expectations: ['expected_response'] },
    },
    outDir,
  };
}

export function evaluationRow(i) {
  const now = Date.now();
  const question =
    `Question ${i}: what does the evaluation of this row measure, and why does it matter? `.repeat(4);
  const answer = `Answer ${i}: it measures the quality of the response against the expected one. `.repeat(6);
  const root = newSpanId();
  const predict = newSpanId();
  const judge = newSpanId();
  return {
    id: `row-${i}`,
    index: i,
    inputs: { question },
    outputs: answer,
    expectations: { expected_response: answer },
    tags: {},
    feedbacks: [
      {
        name: 'is_concise',
        value: 'yes',
        rationale: 'The answer is short and to the point.',
        source: { type: 'LLM_JUDGE', id: 'openai:/bench' },
        metadata: {
          'mlflow.assessment.judgeInputTokens': '120',
          'mlflow.assessment.judgeOutputTokens': '20',
        },
      },
    ],
    trace: {
      spans: [
        {
          spanId: root,
          parentId: null,
          name: 'predict',
          spanType: 'CHAIN',
          startTimeMs: now - 300,
          endTimeMs: now,
          inputs: { question },
          outputs: answer,
          attributes: {},
          status: { code: 'OK' },
        },
        {
          spanId: predict,
          parentId: root,
          name: 'chat.completions',
          spanType: 'CHAT_MODEL',
          startTimeMs: now - 290,
          endTimeMs: now - 150,
          inputs: { messages: [{ role: 'user', content: question }] },
          outputs: { choices: [{ message: { role: 'assistant', content: answer } }] },
          attributes: {
            'mlflow.llm.model': 'bench',
            'mlflow.chat.tokenUsage': { input_tokens: 80, output_tokens: 90, total_tokens: 170 },
          },
          status: { code: 'OK' },
        },
        {
          spanId: judge,
          parentId: root,
          name: 'judge:is_concise',
          spanType: 'LLM',
          startTimeMs: now - 140,
          endTimeMs: now - 10,
          inputs: { messages: [{ role: 'user', content: `Judge this: ${answer}` }] },
          outputs: { result: 'yes', rationale: 'The answer is short and to the point.' },
          attributes: {
            'mlflow.llm.model': 'bench',
            'mlflow.chat.tokenUsage': { input_tokens: 120, output_tokens: 20, total_tokens: 140 },
          },
          status: { code: 'OK' },
        },
      ],
    },
    usage: emptyUsage(),
    durationMs: 300,
  };
}

export function runSummary(N) {
  return {
    rows: N,
    failed_rows: 0,
    error_feedbacks: 0,
    metrics: { 'is_concise/mean': 1 },
    counts: { is_concise: { values: N, errors: 0 } },
    usage: {
      model: { input_tokens: 0, output_tokens: 0, total_tokens: 0, calls: 0 },
      judge: { input_tokens: 0, output_tokens: 0, total_tokens: 0, calls: 0 },
      cost_usd: 0,
    },
    started_at: new Date().toISOString(),
    duration_s: 1,
    status: 'FINISHED',
    dataset: { name: 'bench', digest: 'bench', rows: N },
  };
}
