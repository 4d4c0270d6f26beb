import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_CODE_MEANINGS } from '../../../src/app/exit-codes.js';
import { type RunCliOptions, runCommand } from '../../../src/cli/commands/run.js';
import { extractDebugFlag } from '../../../src/cli/main.js';
import { reportError } from '../../../src/cli/report-error.js';
import {
  ConfigError,
  DatasetError,
  InfrastructureError,
  JudgeflowError,
  MissingComponentError,
  MlflowError,
  ProviderError,
} from '../../../src/core/errors.js';
import { RayExecutorError } from '../../../src/executors/ray/errors.js';
import { captureIo, repoRoot, spawnCli, tempDir, waitForExit } from '../../helpers/cli.js';

function options(overrides: Partial<RunCliOptions> = {}): RunCliOptions {
  return {
    failUnder: [],
    mlflow: false,
    executor: 'local',
    workers: 2,
    workerConcurrency: 16,
    progress: false,
    ...overrides,
  };
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => {
    text += chunk;
  });
  return { stream, text: () => text };
}

const STACK_LINE = /^\s+at /m;
const basicEval = path.join(repoRoot, 'examples/basic/eval.yaml');

describe('errors a user can cause are typed, with their exit code and no stack trace', () => {
  it('--out naming an existing file: exit 2, one line naming --out', async () => {
    const dir = await tempDir('out-file');
    const file = path.join(dir, 'taken.txt');
    await writeFile(file, 'not a folder');
    const { io, stderr } = captureIo();
    expect(await runCommand(basicEval, options({ out: file }), io)).toBe(EXIT.invalidInput);
    expect(stderr()).toContain(`--out ${file} is a file, not a folder`);
    expect(stderr()).not.toMatch(STACK_LINE);
    expect(stderr().trim().split('\n')).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it('an ftp:// base_url: exit 2 naming base_url, credentials in it not printed', async () => {
    const dir = await tempDir('ftp');
    await writeFile(path.join(dir, 'rows.jsonl'), '{"id":"a","inputs":{"q":"x"}}\n');
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        'dataset: {path: rows.jsonl}',
        'model: {provider: openai-compatible, base_url: "ftp://bob:ftp-pass-31337@files.example/v1", model: m}',
        'scorers: [exact_match]',
      ].join('\n'),
    );
    const { io, stderr } = captureIo();
    const code = await runCommand(path.join(dir, 'eval.yaml'), options({ out: path.join(dir, 'out') }), io);
    expect(code).toBe(EXIT.invalidInput);
    expect(stderr()).toContain('base_url');
    expect(stderr()).toContain('http:// or https://');
    expect(stderr()).not.toContain('ftp-pass-31337');
    expect(stderr()).not.toMatch(STACK_LINE);
  });

  it('the same in a real process: exit 2, no stack; with --debug the stack is printed', async () => {
    const dir = await tempDir('out-file-cli');
    const file = path.join(dir, 'taken.txt');
    await writeFile(file, 'x');
    const plain = await waitForExit(spawnCli(['run', basicEval, '--out', file, '--no-mlflow']));
    expect(plain.code).toBe(2);
    expect(plain.stderr).not.toMatch(STACK_LINE);
    const debug = await waitForExit(spawnCli(['run', basicEval, '--out', file, '--no-mlflow', '--debug']));
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(STACK_LINE);
  });
});

describe('more errors a user can cause: exit 2, not 70', () => {
  it('a bad flag value: mlflow up --port, serve-judge --port, setup --only', async () => {
    for (const args of [
      ['mlflow', 'up', '--port', 'abc'],
      ['serve-judge', '--port', '-3'],
      ['setup', '--only', 'nothing'],
    ]) {
      const { code, stderr } = await waitForExit(spawnCli(args));
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).not.toContain('internal error');
    }
  });

  it('dataset: {mlflow: NAME} with --no-mlflow', async () => {
    const dir = await tempDir('ds-mlflow');
    await writeFile(path.join(dir, 'eval.yaml'), 'dataset: {mlflow: qa}\nscorers: [exact_match]\n');
    const { io, stderr } = captureIo();
    expect(await runCommand(path.join(dir, 'eval.yaml'), options({ out: path.join(dir, 'o') }), io)).toBe(2);
    expect(stderr()).toContain('dataset.mlflow needs MLflow');
  });
});

describe('reportError', () => {
  it('an unexpected error: exit 70, one line plus a hint to report it, no stack trace', () => {
    const { stream, text } = capture();
    expect(reportError(new TypeError('boom'), stream, { env: {} })).toBe(EXIT.internalError);
    expect(text()).toContain('internal error: TypeError: boom');
    expect(text()).toContain('please report it');
    expect(text()).toContain('--debug');
    expect(text()).not.toMatch(STACK_LINE);
    expect(text().trim().split('\n')).toHaveLength(2);
  });

  it('JUDGEFLOW_DEBUG=1 adds the stack and the causes', () => {
    const { stream, text } = capture();
    const error = new ConfigError('bad', { cause: new Error('root cause') });
    expect(reportError(error, stream, { env: { JUDGEFLOW_DEBUG: '1' } })).toBe(2);
    expect(text()).toMatch(STACK_LINE);
    expect(text()).toContain('caused by: Error: root cause');
  });

  it('scrubs the printed text of the environment secrets and key-shaped values', () => {
    const { stream, text } = capture();
    const secret = 'env-secret-value-4242';
    reportError(new Error(`failed with ${secret} and Bearer abcdef0123456789`), stream, {
      env: { SOME_SERVICE_TOKEN: secret },
    });
    expect(text()).not.toContain(secret);
    expect(text()).not.toContain('abcdef0123456789');
  });
});

describe('exit codes: one list, and everything agrees with it', () => {
  it('every error class maps to a listed code, and infrastructure failures to 5', () => {
    const listed = new Set<number>(Object.values(EXIT));
    const errors: JudgeflowError[] = [
      new JudgeflowError('x'),
      new ConfigError('x'),
      new DatasetError({ file: 'f', message: 'x' }),
      new MissingComponentError('x', { installCommand: 'judgeflow setup' }),
      new InfrastructureError('x', { component: 'ray' }),
      new ProviderError({ message: 'x', url: 'http://h', kind: 'network', retryable: true }),
      new MlflowError({ message: 'x', endpoint: 'GET /', retryable: false }),
      new RayExecutorError({ failure: 'connect', message: 'x' }),
      new RayExecutorError({ failure: 'protocol', message: 'x' }),
    ];
    for (const error of errors) expect(listed.has(error.exitCode), error.name).toBe(true);
    for (const error of errors) expect(error.exitCode, error.name).not.toBe(EXIT.gateFailed);
    expect(new RayExecutorError({ failure: 'connect', message: 'x' }).exitCode).toBe(5);
    expect(new RayExecutorError({ failure: 'scheduling', message: 'x' }).exitCode).toBe(5);
    expect(new InfrastructureError('x', { component: 'mlflow' }).exitCode).toBe(5);
    expect(new JudgeflowError('x').exitCode).toBe(70);
  });

  it('the README documents every code', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    for (const { code } of EXIT_CODE_MEANINGS) expect(readme).toMatch(new RegExp(`\\| ${code} +\\|`));
  });

  it('judgeflow --help and run --help list every code', async () => {
    for (const args of [['--help'], ['run', '--help']]) {
      const { code, stdout } = await waitForExit(spawnCli(args));
      expect(code).toBe(0);
      for (const entry of EXIT_CODE_MEANINGS) expect(stdout).toContain(`${entry.code}  ${entry.meaning}`);
    }
  });

  it('--debug is taken out of the command line wherever it stands, but not after --', () => {
    expect(extractDebugFlag(['node', 'jf', 'run', 'x.yaml', '--debug'])).toEqual({
      argv: ['node', 'jf', 'run', 'x.yaml'],
      debug: true,
    });
    expect(extractDebugFlag(['node', 'jf', 'submit', 'x', '--', '--debug'])).toEqual({
      argv: ['node', 'jf', 'submit', 'x', '--', '--debug'],
      debug: false,
    });
  });
});
