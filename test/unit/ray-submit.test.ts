import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import { RayJobsClient, RayJobsError } from '../../src/submit/jobs-client.js';
import {
  checkTrackingUri,
  exitCodeForJob,
  requiredEnvNames,
  resolveDashboardUrl,
  shellQuote,
  submitEvalFile,
} from '../../src/submit/submit.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A fake dashboard that answers only the routes a test lists and fails on anything else. */
async function fakeDashboard(routes: Record<string, (seen: Seen) => { status: number; body?: unknown }>) {
  const seen: Seen[] = [];
  const unexpected: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(entry);
      const key = `${entry.method} ${entry.url}`;
      const route =
        routes[key] ??
        Object.entries(routes).find(
          ([pattern]) => pattern.endsWith('*') && key.startsWith(pattern.slice(0, -1)),
        )?.[1];
      if (route === undefined) {
        unexpected.push(`${entry.method} ${entry.url}`);
        response.writeHead(599).end('unexpected request');
        return;
      }
      const answer = route(entry);
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    unexpected,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jf-submit-'));
  writeFileSync(
    path.join(dir, 'eval.yaml'),
    [
      'experiment: exp',
      'run_name: r1',
      'dataset: { path: data.jsonl }',
      'model: { provider: openai-compatible, base_url: "http://vllm:8000/v1", model: m, api_key_env: VLLM_KEY }',
      'judge: { model: "openai:/gpt-4.1-mini" }',
      'scorers: [exact_match]',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'data.jsonl'), '{"inputs":{"q":"a"}}\n');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('RayJobsClient retries (the one retry policy)', () => {
  const fast = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5, maxTotalWaitMs: 5000 };
  const client = (url: string) =>
    new RayJobsClient({
      baseUrl: url,
      token: 'ray-token-5e2c91d7',
      userAgent: 'judgeflow-test',
      retry: fast,
    });

  it('retries reads and a submit with its own submission_id; a submit without one only when turned away', async () => {
    let version = 0;
    let submits = 0;
    const dashboard = await fakeDashboard({
      'GET /api/version': () =>
        ++version === 1
          ? { status: 503, body: 'busy' }
          : { status: 200, body: { version: '4', ray_version: '2.60.0' } },
      'POST /api/jobs/': (seen) => {
        submits += 1;
        const job = JSON.parse(seen.body.toString()) as { submission_id?: string };
        if (submits === 1 || submits === 3) return { status: 500, body: 'Traceback...\nRuntimeError: gcs' };
        return { status: 200, body: { submission_id: job.submission_id ?? 'generated' } };
      },
    });
    try {
      expect((await client(dashboard.url).version()).ray_version).toBe('2.60.0');
      expect(version).toBe(2);
      // submit 1 fails with 500, submit 2 (the retry of the same submission id) succeeds
      expect(
        await client(dashboard.url).submit({ entrypoint: 'echo', submission_id: 'judgeflow-a' }),
      ).toEqual({
        submission_id: 'judgeflow-a',
      });
      expect(submits).toBe(2);
      // without a client-chosen id a 500 may have created a job: never repeated
      const error = await client(dashboard.url)
        .submit({ entrypoint: 'echo' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RayJobsError);
      expect(error).toMatchObject({ status: 500, retryable: true, attempts: 1 });
      expect(submits).toBe(3);
      expect(dashboard.unexpected).toEqual([]);
    } finally {
      await dashboard.close();
    }
  });

  it('a retried submit whose first answer was lost finds its own job instead of failing on "already exists"', async () => {
    let submits = 0;
    const dashboard = await fakeDashboard({
      'POST /api/jobs/': () =>
        ++submits === 1
          ? { status: 502, body: 'bad gateway' }
          : {
              status: 400,
              body: 'Traceback...\nValueError: Job with submission_id judgeflow-b already exists.',
            },
    });
    try {
      expect(
        await client(dashboard.url).submit({ entrypoint: 'echo', submission_id: 'judgeflow-b' }),
      ).toEqual({
        submission_id: 'judgeflow-b',
      });
      expect(submits).toBe(2);
      // on a first attempt, "already exists" is the caller's mistake and stays an error
      await expect(
        client(dashboard.url).submit({ entrypoint: 'echo', submission_id: 'judgeflow-b' }),
      ).rejects.toMatchObject({ status: 400 });
    } finally {
      await dashboard.close();
    }
  });

  it('never puts the token in an error, even when the dashboard echoes it', async () => {
    const dashboard = await fakeDashboard({
      'GET /api/jobs/': (seen) => ({ status: 403, body: `denied: ${String(seen.headers.authorization)}` }),
    });
    try {
      const error = await client(dashboard.url)
        .list()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RayJobsError);
      expect((error as RayJobsError).message).toContain('denied');
      expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
        'ray-token-5e2c91d7',
      );
    } finally {
      await dashboard.close();
    }
  });
});

describe('RayJobsClient', () => {
  it('sends no browser headers on POST/PUT, sends the bearer token, and uploads a package only when missing', async () => {
    const packages = new Set<string>();
    const dashboard = await fakeDashboard({
      'GET /api/version': () => ({ status: 200, body: { version: '4', ray_version: '2.60.0' } }),
      'GET /api/packages/gcs/_ray_pkg_abc.zip': () => ({
        status: packages.has('abc') ? 200 : 404,
        body: 'missing',
      }),
      'PUT /api/packages/gcs/_ray_pkg_abc.zip': () => {
        packages.add('abc');
        return { status: 200 };
      },
      'POST /api/jobs/': () => ({ status: 200, body: { job_id: 'x', submission_id: 'sub-1' } }),
    });
    try {
      const client = new RayJobsClient({
        baseUrl: `${dashboard.url}/`,
        token: 's3cret',
        userAgent: 'judgeflow/test',
      });
      expect((await client.version()).ray_version).toBe('2.60.0');
      expect(await client.packageExists('_ray_pkg_abc.zip')).toBe(false);
      await client.uploadPackage('_ray_pkg_abc.zip', Buffer.from('zipbytes'));
      expect(await client.packageExists('_ray_pkg_abc.zip')).toBe(true);
      expect(await client.submit({ entrypoint: 'echo hi', metadata: { job_name: 'n' } })).toMatchObject({
        submission_id: 'sub-1',
      });
      expect(dashboard.unexpected).toEqual([]);
      for (const request of dashboard.seen) {
        expect(request.headers.authorization).toBe('Bearer s3cret');
        expect(request.headers['user-agent']).toBe('judgeflow/test');
        for (const header of ['origin', 'referer', 'sec-fetch-mode', 'sec-fetch-site', 'sec-fetch-dest']) {
          expect(request.headers[header]).toBeUndefined();
        }
      }
      const put = dashboard.seen.find((r) => r.method === 'PUT');
      expect(put?.body.toString()).toBe('zipbytes');
      const post = dashboard.seen.find((r) => r.method === 'POST');
      expect(JSON.parse(post?.body.toString() ?? '{}')).toEqual({
        entrypoint: 'echo hi',
        metadata: { job_name: 'n' },
      });
      expect(client.tailUrl('sub-1')).toBe(`${dashboard.url.replace('http', 'ws')}/api/jobs/sub-1/logs/tail`);
    } finally {
      await dashboard.close();
    }
  });

  it('turns HTTP errors into RayJobsError with the status and the last traceback line', async () => {
    const dashboard = await fakeDashboard({
      'GET /api/jobs/nope': () => ({ status: 404, body: 'Traceback...\nJob nope does not exist' }),
      'GET /api/version': () => ({ status: 401, body: 'Unauthorized' }),
    });
    try {
      const client = new RayJobsClient({ baseUrl: dashboard.url, userAgent: 'judgeflow/test' });
      const missing = await client.get('nope').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(RayJobsError);
      expect((missing as RayJobsError).status).toBe(404);
      expect((missing as Error).message).toContain('Job nope does not exist');
      const unauthorized = await client.version().catch((e: unknown) => e);
      expect((unauthorized as Error).message).toContain('RAY_AUTH_TOKEN');
    } finally {
      await dashboard.close();
    }
  });
});

describe('submit checks', () => {
  it('refuses a loopback or file tracking URI for a remote cluster, allows it for a local one', () => {
    expect(() => checkTrackingUri('http://127.0.0.1:5000', 'http://ray-head.example:8265')).toThrow(
      ConfigError,
    );
    expect(() => checkTrackingUri('http://localhost:5000', 'http://10.0.0.5:8265')).toThrow(/cannot reach/);
    expect(() => checkTrackingUri('./mlruns', 'http://10.0.0.5:8265')).toThrow(/local path/);
    expect(() => checkTrackingUri('http://127.0.0.1:5000', 'http://127.0.0.1:8265')).not.toThrow();
    expect(() => checkTrackingUri('http://mlflow.mlflow.svc:5000', 'http://10.0.0.5:8265')).not.toThrow();
    expect(() => checkTrackingUri('https://user:pw@mlflow.example', 'http://10.0.0.5:8265')).toThrow(
      /credentials/,
    );
  });

  it('names the environment variables the eval needs, never their values', () => {
    expect(
      requiredEnvNames({
        dataset: { path: 'x' },
        scorers: ['exact_match', { type: 'guidelines', judge: { api_key_env: 'JUDGE_KEY' } }],
        model: { provider: 'openai-compatible', model: 'm', api_key_env: 'VLLM_KEY' },
        judge: { model: 'openai:/gpt-4.1-mini' },
      }),
    ).toEqual(['JUDGE_KEY', 'OPENAI_API_KEY', 'VLLM_KEY']);
  });

  it('maps the final job status to an exit code', () => {
    expect(exitCodeForJob({ status: 'SUCCEEDED' })).toBe(0);
    expect(exitCodeForJob({ status: 'STOPPED' })).toBe(130);
    expect(exitCodeForJob({ status: 'FAILED', driver_exit_code: 2 })).toBe(2);
    expect(exitCodeForJob({ status: 'FAILED' })).toBe(1);
  });

  it('quotes entrypoint words for the shell', () => {
    expect(shellQuote('eval.yaml')).toBe('eval.yaml');
    expect(shellQuote('my eval.yaml')).toBe("'my eval.yaml'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('finds the dashboard from --ray, RAY_API_SERVER_ADDRESS or an http RAY_ADDRESS', () => {
    expect(resolveDashboardUrl('http://a:8265', readEnv({}))).toBe('http://a:8265');
    expect(resolveDashboardUrl(undefined, readEnv({ RAY_API_SERVER_ADDRESS: 'http://b:8265' }))).toBe(
      'http://b:8265',
    );
    expect(resolveDashboardUrl(undefined, readEnv({ RAY_ADDRESS: 'http://c:8265' }))).toBe('http://c:8265');
    expect(() => resolveDashboardUrl(undefined, readEnv({ RAY_ADDRESS: '10.0.0.1:6379' }))).toThrow(
      ConfigError,
    );
  });

  it('submits with secrets only by name: metadata and runtime_env carry no secret values', async () => {
    let submitted: Record<string, unknown> | undefined;
    const uploaded: string[] = [];
    const dashboard = await fakeDashboard({
      'GET /api/version': () => ({ status: 200, body: { version: '4', ray_version: '2.60.0' } }),
      'GET /api/packages/gcs/*': () => ({ status: 404, body: 'missing' }),
      'PUT /api/packages/gcs/*': (seen) => {
        uploaded.push(seen.url);
        return { status: 200 };
      },
      'POST /api/jobs/': (seen) => {
        submitted = JSON.parse(seen.body.toString()) as Record<string, unknown>;
        return { status: 200, body: { submission_id: 'judgeflow-x' } };
      },
    });
    try {
      const env = readEnv({
        OPENAI_API_KEY: 'sk-secret-value',
        VLLM_KEY: 'vllm-secret',
        MLFLOW_TRACKING_URI: 'http://mlflow.svc:5000',
      });
      const result = await submitEvalFile({
        evalPath: path.join(dir, 'eval.yaml'),
        rayUrl: dashboard.url,
        follow: false,
        env,
        cwd: dir,
        workers: 3,
        envVars: { JUDGEFLOW_RAY_PYTHON: 'python3' },
        output: () => undefined,
        log: () => undefined,
      });
      expect(result).toMatchObject({
        submissionId: expect.stringMatching(/^judgeflow-\d{8}-\d{6}-[0-9a-f]{6}$/),
        exitCode: 0,
      });
      const text = JSON.stringify(submitted);
      expect(text).not.toContain('sk-secret-value');
      expect(text).not.toContain('vllm-secret');
      expect(submitted).toMatchObject({
        entrypoint: 'judgeflow run eval.yaml --executor ray --ray auto --workers 3',
        runtime_env: {
          working_dir: expect.stringMatching(/^gcs:\/\/_ray_pkg_[0-9a-f]{32}\.zip$/),
          env_vars: { JUDGEFLOW_RAY_PYTHON: 'python3', MLFLOW_TRACKING_URI: 'http://mlflow.svc:5000' },
        },
        metadata: {
          job_name: 'judgeflow exp/r1',
          eval_file: 'eval.yaml',
          required_env: 'OPENAI_API_KEY,VLLM_KEY',
        },
      });
      const workingDir = (submitted?.runtime_env as { working_dir: string } | undefined)?.working_dir ?? '';
      expect(uploaded).toEqual([`/api/packages/gcs/${workingDir.slice('gcs://'.length)}`]);
      expect(dashboard.unexpected).toEqual([]);
    } finally {
      await dashboard.close();
    }
  });

  it('refuses a secret-looking --env and a dataset outside the shipped folder before any request', async () => {
    const env = readEnv({});
    const base = {
      rayUrl: 'http://10.255.255.1:8265',
      follow: false,
      env,
      cwd: dir,
      output: () => undefined,
      log: () => undefined,
    };
    await expect(
      submitEvalFile({ ...base, evalPath: path.join(dir, 'eval.yaml'), envVars: { OPENAI_API_KEY: 'x' } }),
    ).rejects.toThrow(/looks like a secret/);
    writeFileSync(
      path.join(dir, 'outside.yaml'),
      'dataset: { path: ../elsewhere.jsonl }\nscorers: [exact_match]\n',
    );
    await expect(submitEvalFile({ ...base, evalPath: path.join(dir, 'outside.yaml') })).rejects.toThrow(
      /outside .*--root/,
    );
  });
});
