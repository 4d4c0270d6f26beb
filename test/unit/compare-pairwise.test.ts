import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, formatComparison } from '../../src/app/compare/index.js';
import { comparisonMetrics } from '../../src/app/compare/mlflow-log.js';
import { runCommand } from '../../src/cli/commands/run.js';
import type { JudgeClient } from '../../src/core/judge.js';
import { captureIo, noMlflowRun, repoRoot, tempDir } from '../helpers/cli.js';

// `compareRuns` with a pairwise judge: a scripted judge that prefers whichever response is not
// "I am not sure." (ties otherwise), over the fixture's two models. The pairwise summary lands in the
// comparison, its figures among the comparison run's metrics, and in the terminal text.

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'compare');
let dir: string;

function section(text: string, tag: string): string {
  const match = new RegExp(`<${tag}>\\n?([\\s\\S]*?)\\n?</${tag}>`).exec(text);
  return (match?.[1] ?? '').trim();
}

const judge: JudgeClient = {
  modelUri: 'openai-compatible:/scripted',
  complete: async (request) => {
    const user = request.messages.find((m) => m.role === 'user')?.content ?? '';
    const unsure = (text: string) => text.includes('I am not sure.');
    const first = unsure(section(user, 'response_1'));
    const second = unsure(section(user, 'response_2'));
    const winner = first === second ? 'tie' : first ? '2' : '1';
    return {
      text: JSON.stringify({ rationale: `winner ${winner}`, winner }),
      model: 'scripted',
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      latencyMs: 1,
    };
  },
  close: async () => {},
};

beforeAll(async () => {
  dir = await tempDir('compare-pairwise');
  for (const side of ['a', 'b']) {
    const printed = captureIo({ cwd: dir });
    const code = await runCommand(
      path.join(FIXTURE, `eval-${side}.yaml`),
      { ...noMlflowRun, out: path.join(dir, side) },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compare --pairwise', () => {
  it('judges every pair in both orders and puts the summary in the comparison', async () => {
    const comparison = await compareRuns({
      a: 'a',
      b: 'b',
      cwd: dir,
      resamples: 500,
      pairwise: { judge, concurrency: 2 },
    });
    const pairwise = comparison.pairwise;
    expect(pairwise).toMatchObject({
      judge: 'openai-compatible:/scripted',
      pairs: 30,
      a_wins: 12,
      b_wins: 0,
      ties: 18,
      inconsistent: 0,
      position_consistency: 1,
    });
    expect(pairwise?.b_win_rate).toBeCloseTo(9 / 30, 12);
    expect(pairwise?.rows.find((r) => r.row_id === 'qa-001')).toMatchObject({
      verdict: 'A',
      ab: 'A',
      ba: 'A',
    });
    const metrics = comparisonMetrics(comparison);
    expect(metrics['pairwise/b_win_rate']).toBeCloseTo(9 / 30, 12);
    expect(metrics['pairwise/position_consistency']).toBe(1);
    expect(formatComparison(comparison)).toContain(
      'pairwise (openai-compatible:/scripted): B wins 0, A wins 12, ties 18 of 30',
    );
  });
});
