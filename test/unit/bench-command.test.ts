import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BenchTaskError } from '../../src/app/bench/errors.js';
import {
  type BenchCliOptions,
  checkBaseUrl,
  publicUrl,
  validateBenchOptions,
} from '../../src/app/bench/options.js';
import { benchErrorFrom, runPythonJson } from '../../src/app/bench/python-cli.js';
import { benchCommand } from '../../src/cli/commands/bench.js';
import { readEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import { captureIo, repoRoot, tempDir } from '../helpers/cli.js';

const KEY = 'sk-bench-test-7f3a9c2e1d0b4a58';
const fakePython = path.join(repoRoot, 'test/fixtures/bench/fake-lmeval.py');

function cli(overrides: Partial<BenchCliOptions> = {}): BenchCliOptions {
  return { tasks: ['fx_mc'], api: 'completions', mlflow: false, ...overrides };
}

const validate = (options: Partial<BenchCliOptions>, env: Record<string, string> = {}) =>
  validateBenchOptions(cli(options), { env: readEnv(env, '/'), cwd: repoRoot });

describe('bench options', () => {
  it('defaults: the embedded model, completions, local executor, seed 1234', () => {
    const request = validate({});
    expect(request).toMatchObject({
      endpoint: { kind: 'local' },
      api: 'completions',
      executor: 'local',
      seed: 1234,
      batchSize: 1,
      bootstrapIters: 100000,
      applyChatTemplate: false,
    });
  });

  it.each([
    [{ local: true, baseUrl: 'http://h/v1' }, /--base-url or --local/],
    [{ local: true, model: 'm' }, /--model names a model of the --base-url server/],
    [{ baseUrl: 'ftp://h/v1' }, /http:\/\/ or https:\/\//],
    [{ baseUrl: 'not a url' }, /--base-url is not a URL/],
    [{ workers: 4 }, /--workers shards the run over Ray: give --executor ray/],
    [{ shardSize: 10 }, /--shard-size .* --executor ray/],
    [{ executor: 'local', rayAddress: '127.0.0.1:6379' }, /--ray-address .* --executor ray/],
    [{ limit: 2.5 }, /--limit must be a whole number/],
    [{ genKwargs: '[1]' }, /--gen-kwargs must be a JSON object/],
    [{ genKwargs: '{oops' }, /--gen-kwargs is not JSON/],
    [{ apiKeyEnv: 'NOT_SET_ANYWHERE' }, /--api-key-env NOT_SET_ANYWHERE: the variable is not set/],
    [{ apiKeyEnv: 'sk-live-abc' }, /takes the NAME of an environment variable/],
    [{ includePath: ['no/such/folder'] }, /--include-path no\/such\/folder: not a folder/],
    [{ tasks: [' '] }, /--tasks needs at least one task/],
    [{ api: 'chat', applyChatTemplate: false }, /--api chat always applies the chat template/],
  ] as const)('refuses %o (exit 2, the flag named)', (options, message) => {
    const error = (() => {
      try {
        validate(options as Partial<BenchCliOptions>);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
  });

  it('BOS: on for the embedded model, off for a --base-url server (lm-eval), either way on request', () => {
    expect(validate({}).addBosToken).toBe(true);
    expect(validate({ baseUrl: 'http://h/v1' }).addBosToken).toBe(false);
    expect(validate({ baseUrl: 'http://h/v1', addBosToken: true }).addBosToken).toBe(true);
    expect(validate({ addBosToken: false }).addBosToken).toBe(false);
  });

  it('--tokenizer: a folder is passed on absolute, a hub name as given; not with chat or the embedded model', () => {
    const base = { baseUrl: 'http://h/v1' };
    expect(validate({ ...base, tokenizer: 'test/fixtures' }).tokenizer).toBe(
      path.join(repoRoot, 'test/fixtures'),
    );
    expect(validate({ ...base, tokenizer: 'Qwen/Qwen2.5-7B-Instruct' }).tokenizer).toBe(
      'Qwen/Qwen2.5-7B-Instruct',
    );
    expect(validate(base).tokenizer).toBeUndefined();
    expect(() => validate({ ...base, api: 'chat', tokenizer: 'x/y' })).toThrow(
      /--tokenizer is for --api completions/,
    );
    expect(() => validate({ tokenizer: 'x/y' })).toThrow(/--tokenizer is for a --base-url server/);
  });

  it('--ray-address implies --executor ray; a fraction --limit is lm-eval’s; duplicate tasks collapse', () => {
    expect(validate({ rayAddress: '127.0.0.1:6379' }).executor).toBe('ray');
    expect(validate({ limit: 0.25 }).limit).toBe(0.25);
    expect(validate({ tasks: ['a', 'b', 'a'] }).tasks).toEqual(['a', 'b']);
  });

  it('a base URL with credentials is refused without repeating them; recorded URLs carry none', () => {
    expect(() => checkBaseUrl('https://bob:hunter2-secret@vllm.example/v1')).toThrow(/--api-key-env/);
    try {
      checkBaseUrl('https://bob:hunter2-secret@vllm.example/v1');
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2-secret');
    }
    expect(() => checkBaseUrl('https://vllm.example/v1?api_key=abc')).toThrow(/query string/);
    expect(publicUrl('https://bob:pw@vllm.example:8000/v1?token=x#y')).toBe('https://vllm.example:8000/v1');
  });
});

describe('the Python CLI protocol', () => {
  it('exit 2 with {"error"} is a BenchTaskError naming the task, with suggestions', async () => {
    const dir = await tempDir('bench-py');
    const script = path.join(dir, 'err.py');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      script,
      'import json,sys\nprint("log line", file=sys.stderr)\nprint(json.dumps({"error": {"code": "unknown_task", "message": "no task called arc_esay", "task": "arc_esay", "suggestions": ["arc_easy"]}}))\nsys.exit(2)\n',
    );
    const error = await runPythonJson({
      python: 'python3',
      args: [script],
      env: { PATH: process.env.PATH ?? '' },
      cwd: dir,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BenchTaskError);
    expect((error as BenchTaskError).exitCode).toBe(2);
    expect((error as BenchTaskError).code).toBe('unknown_task');
    expect((error as Error).message).toBe('no task called arc_esay (did you mean arc_easy?)');
  });

  it('any other failure is judgeflow’s (exit 70), with the child’s last stderr lines', async () => {
    const error = await runPythonJson({
      python: 'python3',
      args: ['-c', 'import sys; print("Traceback: boom", file=sys.stderr); sys.exit(1)'],
      env: { PATH: process.env.PATH ?? '' },
      cwd: repoRoot,
    }).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(BenchTaskError);
    expect((error as { exitCode: number }).exitCode).toBe(70);
    expect((error as Error).message).toContain('Traceback: boom');
  });

  it('prefixes the task when the message does not name it', () => {
    expect(
      benchErrorFrom({ code: 'no_logprobs', message: 'the server gives no logprobs', task: 'arc_easy' })
        .message,
    ).toBe('task arc_easy: the server gives no logprobs');
  });
});

/** A model server that wants a Bearer key; `completions: false` makes it a chat-only server. */
async function fakeServer(options: { key?: string; completions?: boolean }) {
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
    if (options.key !== undefined && request.headers.authorization !== `Bearer ${options.key}`) {
      response.writeHead(401).end('{}');
      return;
    }
    const json = (body: unknown): void => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.url === '/v1/models')
      return json({ object: 'list', data: [{ id: 'fake-model', object: 'model' }] });
    if (request.url === '/v1/completions' && options.completions !== false)
      return json({
        choices: [{ index: 0, text: 'Hello world!', logprobs: { token_logprobs: [null, -1.5, -0.5] } }],
      });
    if (request.url === '/tokenizer_info' && options.completions !== false)
      return json({ eos_token: '<eos>' });
    response.writeHead(404).end('{"error": {"message": "not found"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('judgeflow bench with a fake lm-eval CLI', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  it('runs describe → shard → merge → record; the key reaches the server only through the environment', async () => {
    const server = await fakeServer({ key: KEY });
    servers.push(server);
    const dir = await tempDir('bench-cmd');
    const log = path.join(dir, 'calls.jsonl');
    const { io, stdout, stderr } = captureIo({
      env: { MY_ENDPOINT_CRED: KEY, FAKE_LMEVAL_LOG: log },
      cwd: dir,
    });
    const code = await benchCommand(
      cli({ tasks: ['fx_mc', 'fx_gen'], baseUrl: server.baseUrl, apiKeyEnv: 'MY_ENDPOINT_CRED', out: 'out' }),
      io,
      { lmevalPython: fakePython },
    );
    expect(stderr()).not.toContain('internal error');
    expect(code).toBe(0);
    expect(stdout()).toMatch(/fx_mc\s+acc\s+none\s+0\.3333\s+0\.2108\s+6/);
    expect(stdout()).toContain(path.join(dir, 'out', 'lm_eval', 'results.json'));
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(calls.map((c: { argv: string[] }) => c.argv[2])).toEqual(['describe', 'shard', 'merge']);
    // the Python side reached the server with the key it read from the variable the request names
    expect(calls[1].server_status).toBe(200);
    expect(JSON.parse(calls[1].request).model).toMatchObject({
      api_key_env: 'MY_ENDPOINT_CRED',
      model: 'fake-model',
    });
    // one shard per task on the local executor
    expect(JSON.parse(calls[1].request).shards).toEqual([
      { id: '0000-fx_mc-0-6', task: 'fx_mc', start: 0, end: 6 },
      { id: '0001-fx_gen-0-4', task: 'fx_gen', start: 0, end: 4 },
    ]);
    expect(server.seen.filter((line) => line.endsWith(`Bearer ${KEY}`)).length).toBeGreaterThanOrEqual(3);
    // ...and is nowhere else: not in argv, request files, output, or the output folder
    expect(JSON.stringify(calls)).not.toContain(KEY);
    expect(stdout() + stderr()).not.toContain(KEY);
    for (const file of filesUnder(path.join(dir, 'out')))
      expect(readFileSync(file, 'utf8')).not.toContain(KEY);
    const summary = JSON.parse(readFileSync(path.join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.metrics['fx_mc/acc']).toBeCloseTo(1 / 3, 12);
  });

  it('--json prints the table rows, the MLflow-named metrics and the timings as one JSON object', async () => {
    const server = await fakeServer({});
    servers.push(server);
    const dir = await tempDir('bench-json');
    const { io, stdout } = captureIo({ env: { FAKE_LMEVAL_LOG: path.join(dir, 'calls.jsonl') }, cwd: dir });
    const code = await benchCommand(
      cli({ tasks: ['fx_mc', 'fx_gen'], baseUrl: server.baseUrl, out: 'out', json: true }),
      io,
      { lmevalPython: fakePython },
    );
    expect(code).toBe(0);
    const printed = JSON.parse(stdout());
    expect(printed).toMatchObject({
      model: 'fake-model',
      base_url: server.baseUrl,
      lm_eval_version: '0.4.13',
      executor: 'local',
      shards: 2,
      seconds: { total: expect.any(Number) },
    });
    expect(printed.metrics['fx_gen/exact_match/flexible-extract']).toBe(0.75);
    expect(printed.tasks).toContainEqual(expect.objectContaining({ task: 'fx_mc', metric: 'acc', n: 6 }));
    expect(printed.notes).toHaveLength(2);
  });

  it('an unknown task: exit 2 with the suggestion, before any server is asked', async () => {
    const server = await fakeServer({});
    servers.push(server);
    const dir = await tempDir('bench-unknown');
    const { io, stderr } = captureIo({ env: { FAKE_LMEVAL_LOG: path.join(dir, 'calls.jsonl') }, cwd: dir });
    const code = await benchCommand(cli({ tasks: ['fx_nope'], baseUrl: server.baseUrl }), io, {
      lmevalPython: fakePython,
    });
    expect(code).toBe(2);
    expect(stderr()).toContain('unknown task fx_nope (did you mean fx_mc?)');
    expect(server.seen).toEqual([]);
  });

  it('a closed port: exit 2 naming the URL and the tasks', async () => {
    const server = await fakeServer({});
    const { baseUrl } = server;
    await server.close();
    const dir = await tempDir('bench-closed');
    const { io, stderr } = captureIo({ env: { FAKE_LMEVAL_LOG: path.join(dir, 'calls.jsonl') }, cwd: dir });
    const code = await benchCommand(cli({ tasks: ['fx_mc', 'fx_gen'], baseUrl }), io, {
      lmevalPython: fakePython,
    });
    expect(code).toBe(2);
    expect(stderr()).toContain(
      `cannot reach the model server at ${baseUrl}/models (ECONNREFUSED), needed by fx_mc, fx_gen`,
    );
  });

  it('a server without /v1/completions: exit 2 naming the log-likelihood task and what the server lacks', async () => {
    const server = await fakeServer({ completions: false });
    servers.push(server);
    const dir = await tempDir('bench-nologprobs');
    const { io, stderr } = captureIo({ env: { FAKE_LMEVAL_LOG: path.join(dir, 'calls.jsonl') }, cwd: dir });
    const code = await benchCommand(cli({ tasks: ['fx_mc', 'fx_gen'], baseUrl: server.baseUrl }), io, {
      lmevalPython: fakePython,
    });
    expect(code).toBe(2);
    expect(stderr()).toContain('fx_mc is a log-likelihood task');
    expect(stderr()).toContain('POST /completions answered HTTP 404');
    expect(stderr()).not.toContain('fx_gen is');
  });

  it('--api chat with a log-likelihood task: exit 2 before the server is asked', async () => {
    const server = await fakeServer({});
    servers.push(server);
    const dir = await tempDir('bench-chat');
    const { io, stderr } = captureIo({ env: { FAKE_LMEVAL_LOG: path.join(dir, 'calls.jsonl') }, cwd: dir });
    const code = await benchCommand(cli({ tasks: ['fx_mc'], api: 'chat', baseUrl: server.baseUrl }), io, {
      lmevalPython: fakePython,
    });
    expect(code).toBe(2);
    expect(stderr()).toContain('fx_mc score log-likelihoods, which chat completions cannot give');
    expect(server.seen).toEqual([]);
  });
});
