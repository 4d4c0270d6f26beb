import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementCommand } from '../../src/cli/commands/agreement.js';
import { captureIo, tempDir } from '../helpers/cli.js';
import { custom, type FaultServer, startFaultServer } from '../helpers/fault-server.js';

// `judgeflow agreement` in-process, files only, against a scripted OpenAI-compatible judge: what the
// judge is shown (never the human label), the numbers, the table artifact, the JSON output, and a
// malformed set failing before any call. The real MLflow server and local judge: test/integration/agreement.test.ts.

const SET = `metric: says_good
scorer:
  type: judge
  name: says_good
  instructions: "Is this answer good? {{ outputs }} Context: {{ expectations }}"
  value_type: boolean
cases:
  - { id: c1, inputs: { q: "1" }, outputs: "GOOD one", expectations: { hint: "h1" }, label: true }
  - { id: c2, inputs: { q: "2" }, outputs: "GOOD two", expectations: { hint: "h2" }, label: "yes" }
  - { id: c3, inputs: { q: "3" }, outputs: "BAD three", expectations: { hint: "h3" }, label: false }
  - { id: c4, inputs: { q: "4" }, outputs: "BAD four", expectations: { hint: "h4" }, label: true, note: "judge disagrees" }
  - { id: c5, inputs: { q: "5" }, outputs: "ERR five", expectations: { hint: "h5" }, label: false }
  - { id: c6, inputs: { q: "6" }, outputs: "GOOD six", expectations: { hint: "h6" }, label: false, borderline: true }
  - { id: c7, inputs: { q: "7" }, outputs: "BAD seven", expectations: { hint: "h7" }, label: false, borderline: true }
`;

let dir: string;
let server: FaultServer;
const shown: string[] = [];

beforeAll(async () => {
  dir = await tempDir('agreement');
  await writeFile(path.join(dir, 'says_good.yaml'), SET);
  server = await startFaultServer({
    whenEmpty: custom((request, response) => {
      const messages = (request.body as { messages: Array<{ role: string; content: string }> }).messages;
      const user = messages
        .filter((m) => m.role === 'user')
        .map((m) => m.content)
        .join('\n');
      shown.push(user);
      const text = user.includes('ERR')
        ? 'I would rather not say.'
        : JSON.stringify({ rationale: 'scripted', result: user.includes('GOOD') });
      const body = JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        created: 0,
        model: 'fake',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      });
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    }),
  });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const base = { mlflow: false, progress: false } as const;

describe('judgeflow agreement (files only, scripted judge)', () => {
  it('compares the judge with the labels: accuracy, kappa, errors and borderline apart', async () => {
    const printed = captureIo({ cwd: dir });
    const code = await agreementCommand(
      ['says_good.yaml'],
      { ...base, json: true, judge: `openai-compatible:/fake@${server.baseUrl}`, out: 'out', concurrency: 2 },
      printed.io,
    );
    expect(printed.stderr()).toBe('');
    expect(code).toBe(0);
    const [row] = JSON.parse(printed.stdout()) as Array<Record<string, unknown>>;
    // clear cases c1–c4 scored (c5 the judge could not): labels yes,yes,no,yes vs yes,yes,no,no
    expect(row).toMatchObject({
      metric: 'says_good',
      feedback: 'says_good',
      judge_model: 'openai-compatible:/fake',
      n: 4,
      accuracy: 0.75,
      cohen_kappa: 0.5,
      kappa_weights: 'none',
      include_borderline: false,
      errors: 1,
      borderline_n: 2,
      borderline_accuracy: 0.5,
      run_url: null,
    });

    // the judge saw each case's expectations, never the human label
    expect(shown.length).toBeGreaterThanOrEqual(7);
    expect(shown.some((text) => text.includes('h1'))).toBe(true);
    expect(shown.filter((text) => text.includes('human_label'))).toEqual([]);

    const outDir = path.join(dir, 'out', 'says_good');
    const table = JSON.parse(await readFile(path.join(outDir, 'agreement_cases.json'), 'utf8'));
    expect(table.columns).toEqual([
      'id',
      'label',
      'judge_value',
      'agree',
      'borderline',
      'rationale',
      'error',
      'note',
    ]);
    expect(table.data.map((r: unknown[]) => [r[0], r[1], r[2], r[3], r[4]])).toEqual([
      ['c1', true, true, true, false],
      ['c2', 'yes', true, true, false],
      ['c3', false, false, true, false],
      ['c4', true, false, false, false],
      ['c5', false, null, null, false],
      ['c6', false, true, false, true],
      ['c7', false, false, true, true],
    ]);
    expect(table.data[4][6]).toMatch(/^JUDGE_OUTPUT_INVALID: /);
    expect(table.data[3][7]).toBe('judge disagrees');

    const summary = JSON.parse(await readFile(path.join(outDir, 'summary.json'), 'utf8'));
    expect(summary.metrics).toMatchObject({
      'agreement/accuracy': 0.75,
      'agreement/cohen_kappa': 0.5,
      'agreement/n': 4,
      'agreement/errors': 1,
      'agreement/borderline_accuracy': 0.5,
      'agreement/borderline_n': 2,
    });
    // the label is recorded with the row (an expectation in MLflow), borderline as a tag
    const rows = (await readFile(path.join(outDir, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const c6 = rows.find((r) => r.id === 'c6');
    expect(c6.expectations).toEqual({ hint: 'h6', human_label: false });
    expect(c6.tags).toEqual({ borderline: 'true' });
  });

  it('counts borderline cases in kappa with --include-borderline, and prints a table', async () => {
    const printed = captureIo({ cwd: dir });
    const code = await agreementCommand(
      ['says_good.yaml'],
      {
        ...base,
        includeBorderline: true,
        judge: `openai-compatible:/fake@${server.baseUrl}`,
        out: 'out-all',
        limit: 7,
      },
      printed.io,
    );
    expect(code).toBe(0);
    const lines = printed.stdout().split('\n');
    expect(lines[0]).toMatch(/^metric\s+n\s+accuracy\s+kappa\s+errors\s+borderline\s+run$/);
    // 6 scored: yes,yes,no,yes,no,no vs yes,yes,no,no,yes,no → 4/6 agree, kappa 1/3
    expect(lines[1]).toMatch(/^says_good\s+6\s+0\.667\s+0\.333\s+1\s+0\.500 of 2\s+-$/);
    expect(printed.stdout()).toContain(`results in ${path.join(dir, 'out-all')}`);
  });

  it('sends the key named by --judge-api-key-env, and refuses one that is not set (exit 2)', async () => {
    const printed = captureIo({ cwd: dir, env: { AGREEMENT_TEST_KEY: 'sk-agreement-test-0123456789' } });
    const before = server.requests.length;
    const code = await agreementCommand(
      ['says_good.yaml'],
      {
        ...base,
        judge: `vllm:/fake@${server.baseUrl}`,
        judgeApiKeyEnv: 'AGREEMENT_TEST_KEY',
        out: 'out-key',
        limit: 1,
      },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
    expect(server.requests.slice(before).map((r) => r.headers.authorization)).toEqual([
      'Bearer sk-agreement-test-0123456789',
    ]);
    const unset = captureIo({ cwd: dir });
    expect(
      await agreementCommand(
        ['says_good.yaml'],
        {
          ...base,
          judge: `vllm:/fake@${server.baseUrl}`,
          judgeApiKeyEnv: 'AGREEMENT_UNSET_KEY',
          out: 'out-unset',
        },
        unset.io,
      ),
    ).toBe(2);
    expect(unset.stderr()).toContain('AGREEMENT_UNSET_KEY');
  });

  it('fails a malformed set (exit 2) naming file, case and field, before any judge call', async () => {
    await writeFile(
      path.join(dir, 'broken.yaml'),
      SET.replace(', label: false }\n  - { id: c6', ' }\n  - { id: c6'),
    );
    const before = server.requests.length;
    const printed = captureIo({ cwd: dir });
    const code = await agreementCommand(
      ['broken.yaml'],
      { ...base, judge: `openai-compatible:/fake@${server.baseUrl}`, out: 'out-broken' },
      printed.io,
    );
    expect(code).toBe(2);
    expect(printed.stderr()).toBe(
      `judgeflow: ${path.join(dir, 'broken.yaml')}:12: cases[4] (id c5).label: the human label is required\n`,
    );
    expect(server.requests.length).toBe(before);

    const unknown = captureIo({ cwd: dir });
    expect(await agreementCommand(['says_good.yaml'], { ...base, metrics: ['fluency'] }, unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain('--metrics: no set for fluency (the sets read have: says_good)');
  });
});
