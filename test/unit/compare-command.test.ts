import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/app/compare/index.js';
import { type CompareCliOptions, compareCommand } from '../../src/cli/commands/compare.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { captureIo, noMlflowRun, repoRoot, tempDir } from '../helpers/cli.js';

// `judgeflow compare` on results folders, in process: two real runs of the fixture's module models
// (A answers right, B says "I am not sure." on 12 of the questions A gets right), and small hand-written
// folders for the errors.

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'compare');
let dir: string;
let runA: string;
let runB: string;

const base: CompareCliOptions = { mlflow: false, resamples: 2000 };

async function compare(a: string, b: string, options: Partial<CompareCliOptions> = {}) {
  const printed = captureIo({ cwd: dir });
  const code = await compareCommand(a, b, { ...base, ...options }, printed.io);
  return { code, stdout: printed.stdout(), stderr: printed.stderr() };
}

/** A results folder written by hand: rows `{id: {metric: value}}`, and the summary's dataset. */
async function folder(name: string, rows: Record<string, Record<string, unknown>>, digest = 'd1') {
  const out = path.join(dir, name);
  await mkdir(out, { recursive: true });
  const lines = Object.entries(rows).map(([id, values]) =>
    JSON.stringify({
      id,
      inputs: { q: id },
      outputs: `${name} ${id}`,
      feedbacks: Object.entries(values).map(([metric, value]) => ({ name: metric, value })),
    }),
  );
  await writeFile(path.join(out, 'results.jsonl'), `${lines.join('\n')}\n`);
  await writeFile(
    path.join(out, 'summary.json'),
    JSON.stringify({ dataset: { name: 'hand', digest, rows: lines.length } }),
  );
  return out;
}

beforeAll(async () => {
  dir = await tempDir('compare-unit');
  for (const [name, file] of [
    ['a', 'eval-a.yaml'],
    ['b', 'eval-b.yaml'],
  ] as const) {
    const printed = captureIo({ cwd: dir });
    const code = await runCommand(
      path.join(FIXTURE, file),
      { ...noMlflowRun, out: path.join(dir, 'runs', name) },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
  }
  runA = path.join(dir, 'runs', 'a');
  runB = path.join(dir, 'runs', 'b');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judgeflow compare (results folders)', () => {
  it('prints the table and the regressions, writes comparison.json beside B, exit 0', async () => {
    const { code, stdout, stderr } = await compare(runA, runB, { showRegressions: 2 });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(
      /^metric\s+n\s+A\s+B\s+diff \(B-A\) \[CI\]\s+test\s+p\s+p_holm\s+effect\s+W\/L\/T\s+verdict$/m,
    );
    expect(stdout).toMatch(
      /^exact_match\s+30\s+0\.733\s+0\.333\s+-0\.400 \[-0\.\d+, -0\.\d+\]\s+mcnemar exact\s+0\.0005\s+0\.0015\s+-0\.80\s+0\/12\/18\s+WORSE$/m,
    );
    expect(stdout).toMatch(/^similarity\s+30 .* wilcoxon .* WORSE$/m);
    expect(stdout).toMatch(/regressions \(rows where B is worse than A\): 36; the first 2/);
    expect(stdout).toMatch(
      /qa-001 {2}exact_match: A true → B false\n {4}inputs: \{"question":"What is the capital of France\?"\}\n {4}A: Paris\n {7}outputs match the expected response\n {4}B: I am not sure\./,
    );
    const file = path.join(dir, 'runs', 'a-vs-b', 'comparison.json');
    expect(stdout).toContain(`comparison: ${file}`);
    const written = JSON.parse(await readFile(file, 'utf8')) as Comparison;
    expect(written.schema).toBe('judgeflow.comparison/1');
    expect(written.paired_rows).toBe(30);
    expect(written.rows).toHaveLength(30);
    expect(written.regressions).toHaveLength(36);
    expect(written.a).toMatchObject({
      label: 'a',
      source: 'folder',
      dataset: { name: 'compare-qa', rows: 30 },
    });
  });

  it('--json prints the comparison only; the same seed gives the same intervals', async () => {
    const first = await compare(runA, runB, { json: true, seed: 7, out: 'o1' });
    const second = await compare(runA, runB, { json: true, seed: 7, out: 'o2' });
    const a = JSON.parse(first.stdout) as Comparison;
    const b = JSON.parse(second.stdout) as Comparison;
    expect(a.metrics.map((m) => m.diff_ci)).toEqual(b.metrics.map((m) => m.diff_ci));
    expect(a.metrics.map((m) => m.verdict)).toEqual(['worse', 'worse', 'worse']);
    expect(a.seed).toBe(7);
    expect(a.resamples).toBe(2000);
    const [exact] = a.metrics;
    expect(exact).toMatchObject({
      n: 30,
      wins: 0,
      losses: 12,
      ties: 18,
      test: { name: 'mcnemar_exact', p_value: 2 * 0.5 ** 12 },
    });
    expect(exact?.p_adjusted).toBeCloseTo(3 * 2 * 0.5 ** 12, 12);
    expect(exact?.a.pass_rate_ci?.[0]).toBeLessThan(0.7333);
  });

  it('B against itself reversed is better; --lower-is-better turns the verdict', async () => {
    const reversed = JSON.parse((await compare(runB, runA, { json: true })).stdout) as Comparison;
    expect(reversed.metrics.map((m) => m.verdict)).toEqual(['better', 'better', 'better']);
    expect(reversed.regressions).toEqual([]);
    const lower = JSON.parse(
      (await compare(runA, runB, { json: true, lowerIsBetter: ['exact_match'] })).stdout,
    ) as Comparison;
    const exact = lower.metrics.find((m) => m.name === 'exact_match');
    expect(exact).toMatchObject({ higher_is_better: false, verdict: 'better', wins: 12, losses: 0 });
    expect(lower.regressions.filter((r) => r.metric === 'exact_match')).toEqual([]);
  });

  it('--fail-if-worse exits 1 and says why; a metric not compared is invalid input', async () => {
    const all = await compare(runA, runB, { failIfWorse: true });
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(
      /--fail-if-worse: B is significantly worse than A on exact_match: 0\.3333 vs 0\.7333/,
    );
    const named = await compare(runA, runB, { failIfWorse: ['similarity'], metrics: ['similarity'] });
    expect(named.code).toBe(1);
    const better = await compare(runB, runA, { failIfWorse: true });
    expect(better.code).toBe(0);
    const unknown = await compare(runA, runB, { failIfWorse: ['nope'] });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--fail-if-worse names nope, not among the metrics compared/);
  });

  it('refuses different datasets unless --allow-different-datasets, which warns', async () => {
    const a = await folder('da', { r1: { m: true }, r2: { m: false } }, 'digest-one');
    const b = await folder('db', { r1: { m: false }, r2: { m: true } }, 'digest-two');
    const refused = await compare(a, b);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /different datasets \(A "hand" digest digest-one, B "hand" digest digest-two\).*--allow-different-datasets/,
    );
    const allowed = await compare(a, b, { allowDifferentDatasets: true, json: true });
    expect(allowed.code, allowed.stderr).toBe(0);
    const comparison = JSON.parse(allowed.stdout) as Comparison;
    expect(comparison.dataset_override).toBe(true);
    expect(comparison.warnings.join('\n')).toMatch(/different datasets compared/);
  });

  it('names a metric on one side only, and --metrics compares the rest', async () => {
    const a = await folder('ma', { r1: { m: true, judged: 'yes' } });
    const b = await folder('mb', { r1: { m: true } });
    const refused = await compare(a, b);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /metric "judged" is only in A: B \(mb\) has no feedback of that name.*--metrics m/,
    );
    expect((await compare(a, b, { metrics: ['m'] })).code).toBe(0);
  });

  it('refuses a side that is neither a folder nor a run id, and a folder without results', async () => {
    const bad = await compare(runA, 'not-a-run');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/B "not-a-run" is neither a results folder .* nor an MLflow run id/);
    await mkdir(path.join(dir, 'empty'));
    const empty = await compare(runA, 'empty');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/empty is not a results folder: results\.jsonl is missing/);
    expect(existsSync(path.join(dir, 'a-vs-empty'))).toBe(false);
  });
});
