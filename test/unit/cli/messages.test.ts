import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import { main } from '../../../src/cli/main.js';
import { captureIo, tempDir } from '../../helpers/cli.js';

/** Messages that point at the mistake: file, line, field, and what was expected. */

async function validate(files: Record<string, string>, evalText: string) {
  const dir = await tempDir('messages');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  const evalPath = path.join(dir, 'eval.yaml');
  await writeFile(evalPath, evalText);
  const { io, stderr } = captureIo({ cwd: dir });
  const code = await validateCommand(evalPath, io, { mlflow: false });
  return { code, message: stderr().trim(), dir, evalPath };
}

const row = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ inputs: { q: `question ${i}` }, outputs: `answer ${i}`, ...extra });

async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(['node', 'judgeflow', ...argv]), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('messages that point at the mistake', () => {
  it('calls a folder given as the dataset a folder, and names a file in it', async () => {
    const { code, message } = await validate(
      { 'data/qa.jsonl': row(1) },
      'dataset: {path: data}\nscorers: [exact_match]\n',
    );
    expect(code).toBe(2);
    expect(message).toMatch(
      /data: this is a folder, not a dataset file \(expected the path of one file in it, e\.g\. data\/qa\.jsonl/,
    );
  });

  it('names the element index of a bad JSON array element, next to its line', async () => {
    const bad = await validate(
      { 'qa.json': `[\n  ${row(1)},\n  ${row(2)},\n  {"inputs": [1, 2], "outputs": "x"}\n]\n` },
      'dataset: {path: qa.json}\nscorers: [exact_match]\n',
    );
    expect(bad.code).toBe(2);
    expect(bad.message).toMatch(
      /qa\.json:line 4, element \[2\]: field "inputs": got an array \(expected an object\)/,
    );
    const broken = await validate(
      { 'qa.json': `[${row(1)},\n {"inputs": {"q": "a"], "outputs": "b"}]\n` },
      'dataset: {path: qa.json}\nscorers: [exact_match]\n',
    );
    expect(broken.message).toMatch(
      /qa\.json:line 2, element \[1\]: invalid JSON in this array element: "\]" closes a "\{"/,
    );
  });

  it('names the row without outputs when no model is configured', async () => {
    const lines = Array.from({ length: 10 }, (_, i) =>
      i === 6 ? JSON.stringify({ id: 'seven', inputs: { q: 'x' } }) : row(i),
    );
    const { code, message } = await validate(
      { 'qa.jsonl': lines.join('\n') },
      'dataset: {path: qa.jsonl}\nscorers: [exact_match]\n',
    );
    expect(code).toBe(2);
    expect(message).toMatch(
      /qa\.jsonl:line 7 \(row id "seven"\) has no outputs, .* \(1 of 10 rows has no outputs\)/,
    );
  });

  it('names the file and line of a scorer-level mistake', async () => {
    const option = await validate(
      { 'qa.jsonl': row(1) },
      'dataset: {path: qa.jsonl}\nscorers:\n  - exact_match\n  - type: length\n    unit: lines\n',
    );
    expect(option.message).toBe(
      `judgeflow: ${option.evalPath}:5: scorers[1].unit (length): expected one of "chars", "words"; got "lines"`,
    );
    const guidelines = await validate(
      { 'qa.jsonl': row(1) },
      'dataset: {path: qa.jsonl}\nscorers:\n  - exact_match\n  - {type: guidelines, name: kind}\n',
    );
    expect(guidelines.message).toBe(
      `judgeflow: ${guidelines.evalPath}:4: scorers[1].guidelines (guidelines): missing; expected the guideline text: a string, or a list of strings`,
    );
    const module = await validate(
      { 'qa.jsonl': row(1), 'mine.ts': 'export const other = 1;\n' },
      'dataset: {path: qa.jsonl}\nscorers:\n  - exact_match\n  - {type: module, path: ./mine.ts, export: mine}\n',
    );
    expect(module.message).toMatch(
      /eval\.yaml:4: scorers\[1\]\.path: module .*mine\.ts has no export "mine" \(exports: .*other\)/,
    );
    const unknown = await validate(
      { 'qa.jsonl': row(1) },
      'dataset: {path: qa.jsonl}\nscorers:\n  - exact_matsch\n',
    );
    expect(unknown.message).toMatch(/eval\.yaml:3: scorers\[0\]: unknown scorer type "exact_matsch"/);
  });

  it('answers a bad flag with one line and a hint, not the whole help', async () => {
    const { code, stderr } = await cli(['run', 'eval.yaml', '--concurency', '4']);
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toBe("error: unknown option '--concurency'");
    expect(lines).toContain("(see 'judgeflow run --help' for the options)");
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(stderr).not.toContain('Usage:');
    expect(stderr).not.toContain('--worker-concurrency');
  });

  it('rejects --seed abc naming the option, even without --sample', async () => {
    for (const command of ['run', 'validate']) {
      const { code, stderr } = await cli([command, 'eval.yaml', '--seed', 'abc']);
      expect(code).toBe(2);
      expect(stderr).toContain("option '--seed <s>' argument 'abc' is invalid. expected an integer");
    }
    expect((await cli(['run', 'eval.yaml', '--seed', '1.5'])).stderr).toContain("'1.5' is invalid");
  });
});
