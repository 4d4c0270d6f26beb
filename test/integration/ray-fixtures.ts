import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { type Env, readEnv } from '../../src/config/env.js';
import type { DatasetRow } from '../../src/core/record.js';
import type { RowResult } from '../../src/core/result.js';
import type { PipelinePlan } from '../../src/runner/build.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { testHome } from './servers/judge.js';

/** What every Ray integration test needs: the head started by the global setup and the ray venv. */
export async function rayContext(): Promise<{
  address: string;
  dashboardUrl: string;
  python: string;
  home: string;
}> {
  const home = testHome();
  return {
    address: inject('rayAddress'),
    dashboardUrl: inject('rayDashboardUrl'),
    python: await requirePythonEnv(home, 'ray'),
    home,
  };
}

export function rayEnv(address: string, extra: Record<string, string> = {}): Env {
  return readEnv({ ...process.env, RAY_ADDRESS: address, ...extra }, process.cwd());
}

/**
 * A user's eval folder: rows with recorded outputs (scored by built-in heuristics), rows without
 * outputs (answered by a `module` predict function), and a custom `module` scorer — all in
 * TypeScript, loaded by path in each worker. `predict` sleeps `inputs.sleep_ms` so runs last a while.
 */
export function writeEvalFolder(options: {
  rows: number;
  sleepMs?: number;
  extraFiles?: Record<string, string>;
}) {
  const dir = mkdtempSync('/tmp/jf-ray-eval-');
  writeFileSync(
    path.join(dir, 'predict.ts'),
    [
      'export async function predict(inputs: { question: string; sleep_ms?: number }): Promise<string> {',
      '  if (inputs.sleep_ms) await new Promise((resolve) => setTimeout(resolve, inputs.sleep_ms));',
      "  return ('answer to ' + inputs.question).toUpperCase();",
      '}',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'scorers.ts'),
    [
      'export function questionLength({ inputs, outputs }: { inputs: { question: string }; outputs: unknown }) {',
      "  return { value: inputs.question.length, rationale: 'output has ' + String(outputs).length + ' chars' };",
      '}',
    ].join('\n'),
  );
  for (const [name, text] of Object.entries(options.extraFiles ?? {})) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const rows: DatasetRow[] = [];
  const lines: string[] = [];
  for (let i = 0; i < options.rows; i++) {
    const question = `question number ${i}`;
    const recorded = i % 3 !== 0;
    const record = {
      id: `row-${String(i).padStart(4, '0')}`,
      inputs: { question, ...(options.sleepMs !== undefined ? { sleep_ms: options.sleepMs } : {}) },
      ...(recorded
        ? { outputs: i % 2 === 0 ? `ANSWER TO ${question.toUpperCase()}` : `something else ${i}` }
        : {}),
      expectations: { expected_response: `ANSWER TO ${question.toUpperCase()}` },
    };
    rows.push({ record, index: i, location: { source: path.join(dir, 'data.jsonl'), line: i + 1 } });
    lines.push(JSON.stringify(record));
  }
  writeFileSync(path.join(dir, 'data.jsonl'), `${lines.join('\n')}\n`);
  const plan: PipelinePlan = {
    baseDir: dir,
    file: path.join(dir, 'eval.yaml'),
    model: { provider: 'module', path: './predict.ts', export: 'predict' },
    scorers: [
      'exact_match',
      { type: 'contains', name: 'says_answer', expectation_key: 'expected_response', mode: 'any' },
      { type: 'module', path: './scorers.ts', export: 'questionLength' },
    ],
  };
  writeFileSync(
    path.join(dir, 'eval.yaml'),
    [
      'experiment: judgeflow-ray-tests',
      'dataset:',
      '  path: data.jsonl',
      'model: { provider: module, path: ./predict.ts, export: predict }',
      'scorers:',
      '  - exact_match',
      '  - { type: contains, name: says_answer, expectation_key: expected_response, mode: any }',
      '  - { type: module, path: ./scorers.ts, export: questionLength }',
      '',
    ].join('\n'),
  );
  return { dir, rows, plan };
}

export async function* streamOf(rows: readonly DatasetRow[]): AsyncGenerator<DatasetRow> {
  for (const row of rows) yield row;
}

/** A result without what legitimately differs between two runs of the same row: timings and span ids. */
export function comparable(result: RowResult): unknown {
  const { durationMs: _duration, trace, ...rest } = result;
  return {
    ...rest,
    spans: trace.spans.map((span) => ({
      name: span.name,
      spanType: span.spanType,
      inputs: span.inputs,
      outputs: span.outputs,
      status: span.status,
    })),
  };
}

/** True while a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return predicate();
}

/** Actors the Ray Dashboard's state API knows, by name. */
export async function dashboardActors(
  dashboardUrl: string,
): Promise<Array<{ name: string; class_name: string; state: string }>> {
  const response = await fetch(`${dashboardUrl}/api/v0/actors?limit=1000&detail=false`);
  const body = (await response.json()) as {
    data: { result: { result: Array<{ name: string; class_name: string; state: string }> } };
  };
  return body.data.result.result;
}
