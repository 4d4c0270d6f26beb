import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Feedback } from '../../core/feedback.js';
import type { Scorer } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { codeExecution as fromPackage } from '../../index.js';
import { extractCode } from './check.js';
import { codeExecution, codeExecutionDefinition } from './code-execution.js';

async function score(
  scorer: Scorer,
  outputs: unknown,
  expectations: Record<string, unknown>,
  inputs: Record<string, unknown> = {},
): Promise<Feedback> {
  return (await scorer.score({
    inputs,
    outputs,
    expectations,
    trace: { spans: [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  })) as Feedback;
}

const JS_TEST =
  "const assert = require('node:assert');\nfunction check(f) { assert.strictEqual(f(2, 3), 5); }";

describe('code_execution', () => {
  it('Python: true when the tests pass, false with the exception when one fails', async () => {
    const scorer = codeExecution({ max_parallel: 2 });
    const test = 'def check(candidate):\n    assert candidate(2, 3) == 5';
    const good = await score(scorer, 'def add(a, b):\n    return a + b', { test, entry_point: 'add' });
    expect(good).toMatchObject({ name: 'code_execution', value: true, rationale: 'passed' });
    expect(good.metadata).toMatchObject({ status: 'passed', language: 'python' });
    const bad = await score(scorer, 'def add(a, b):\n    return a - b', { test, entry_point: 'add' });
    expect(bad.value).toBe(false);
    expect(bad.rationale).toBe('AssertionError (exit code 1)');
    expect(bad.metadata?.stderr_tail).toContain('assert candidate(2, 3) == 5');
  });

  it('HumanEval rows: the prompt goes before the completion with prompt_key', async () => {
    const scorer = codeExecution({ prompt_key: 'prompt', max_parallel: 2 });
    const row = { test: 'def check(f):\n    assert f(4) == 16', entry_point: 'square' };
    const feedback = await score(scorer, '    return x * x\n', row, { prompt: 'def square(x):\n' });
    expect(feedback.value).toBe(true);
    const missing = await score(scorer, '    return x * x\n', row, {});
    expect(missing.error?.code).toBe('MISSING_INPUT');
    expect(missing.error?.message).toContain('inputs.prompt');
  });

  it('JavaScript: node:assert tests, synchronous or async, with or without an entry point', async () => {
    const scorer = codeExecution({ language: 'javascript', max_parallel: 2 });
    expect(
      (await score(scorer, 'function add(a, b) { return a + b; }', { test: JS_TEST, entry_point: 'add' }))
        .value,
    ).toBe(true);
    const wrong = await score(scorer, 'function add(a, b) { return a - b; }', {
      test: JS_TEST,
      entry_point: 'add',
    });
    expect(wrong.value).toBe(false);
    expect(wrong.rationale).toMatch(
      /^AssertionError \[ERR_ASSERTION\]: Expected values to be strictly equal/,
    );
    const asyncTest =
      "const assert = require('node:assert');\nasync function check(f) { await new Promise((r) => setTimeout(r, 5)); assert.strictEqual(await f(2, 3), 5); }";
    expect(
      (
        await score(scorer, 'async function add(a, b) { return a - b; }', {
          test: asyncTest,
          entry_point: 'add',
        })
      ).value,
    ).toBe(false);
    expect(
      (
        await score(scorer, 'async function add(a, b) { return a + b; }', {
          test: asyncTest,
          entry_point: 'add',
        })
      ).value,
    ).toBe(true);
    const plain = "const assert = require('node:assert');\nassert.deepStrictEqual(rev([1, 2]), [2, 1]);";
    expect((await score(scorer, 'const rev = (a) => [...a].reverse();', { test: plain })).value).toBe(true);
  });

  it('exiting early with status 0 is a failure, not a pass (Python and JavaScript)', async () => {
    const python = await score(codeExecution({ max_parallel: 2 }), 'import sys\nsys.exit(0)', {
      test: 'assert False',
    });
    expect(python.value).toBe(false);
    expect(python.rationale).toBe('exited before its tests completed');
    const js = await score(codeExecution({ language: 'javascript', max_parallel: 2 }), 'process.exit(0);', {
      test: JS_TEST,
      entry_point: 'add',
    });
    expect(js.value).toBe(false);
  });

  it('a row may pick its language; Markdown code blocks are extracted', async () => {
    const scorer = codeExecution({ max_parallel: 2 });
    const answer = 'Here you go:\n```js\nfunction add(a, b) { return a + b; }\n```\nIt adds.';
    const feedback = await score(scorer, answer, {
      test: JS_TEST,
      entry_point: 'add',
      language: 'javascript',
    });
    expect(feedback).toMatchObject({ value: true, metadata: { language: 'javascript' } });
    const raw = await score(
      codeExecution({ extract_code: false, language: 'javascript', max_parallel: 2 }),
      answer,
      {
        test: JS_TEST,
        entry_point: 'add',
      },
    );
    expect(raw.value).toBe(false);
  });

  it('extractCode: the block in the language, else an untagged one, else the first; bare text as it is', () => {
    expect(extractCode('```text\nno\n```\n```python\nyes = 1\n```', 'python')).toBe('yes = 1\n');
    expect(extractCode('```\nplain()\n```', 'javascript')).toBe('plain()\n');
    expect(extractCode('```ruby\nputs 1\n```', 'python')).toBe('puts 1\n');
    expect(extractCode('    return 1\n', 'python')).toBe('    return 1\n');
  });

  it('reads the code from output_key; a row it cannot run is an error feedback naming the field', async () => {
    const scorer = codeExecution({ output_key: 'code', max_parallel: 2 });
    expect((await score(scorer, { code: 'x = 1' }, { test: 'assert x == 1' })).value).toBe(true);
    expect((await score(scorer, { text: 'x = 1' }, { test: 'assert x == 1' })).error?.code).toBe(
      'MISSING_OUTPUT_KEY',
    );
    const plain = codeExecution();
    const noTest = await score(plain, 'x = 1', {});
    expect(noTest).toMatchObject({ value: null, error: { code: 'MISSING_EXPECTATION' } });
    expect(noTest.error?.message).toContain('expectations.test');
    expect((await score(plain, 'x = 1', { test: 'pass', entry_point: 'f(); import os' })).error?.code).toBe(
      'INVALID_EXPECTATION',
    );
    expect((await score(plain, 'x = 1', { test: 'pass', language: 'ruby' })).error?.message).toContain(
      'expectations.language must be one of python, javascript',
    );
    expect((await score(plain, ['a', 'b'], { test: 'pass' })).error?.code).toBe('INVALID_OUTPUT');
  });

  it('an interpreter that cannot be found is an error feedback, not a failure', async () => {
    const feedback = await score(codeExecution({ python: '/nonexistent/python3' }), 'x = 1', {
      test: 'pass',
    });
    expect(feedback).toMatchObject({ value: null, error: { code: 'INTERPRETER_UNAVAILABLE' } });
    expect(feedback.error?.message).toContain('/nonexistent/python3');
  });

  it('rejects invalid options with the field named, in code as in YAML', () => {
    expect(() => codeExecution({ language: 'ruby' as 'python' })).toThrow(ConfigError);
    expect(() => codeExecution({ timeout_s: -1 })).toThrow(/code_execution\.timeout_s/);
    expect(codeExecutionDefinition.options.safeParse({ memory_mb: 8 }).success).toBe(false);
    expect(codeExecutionDefinition.options.parse({})).toMatchObject({
      language: 'python',
      timeout_s: 10,
      memory_mb: 1024,
      test_key: 'test',
      entry_point_key: 'entry_point',
    });
  });

  it('is exported by the package', () => {
    expect(fromPackage).toBe(codeExecution);
  });
});
