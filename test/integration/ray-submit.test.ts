import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsListCommand, jobsLogsCommand, jobsStopCommand } from '../../src/cli/commands/ray.js';
import type { CommandIo } from '../../src/cli/commands/run.js';
import { submitEvalFile } from '../../src/submit/index.js';
import { dashboardActors, rayContext, rayEnv, writeEvalFolder } from './ray-fixtures.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The cluster runs judgeflow from "the worker image": here, this checkout's CLI.
const judgeflowCommand = `${process.execPath} ${path.join(repo, 'bin', 'judgeflow.js')}`;

let ray: Awaited<ReturnType<typeof rayContext>>;
const folders: string[] = [];
beforeAll(async () => {
  ray = await rayContext();
});
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function captureIo(): { io: CommandIo; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const io = {
    stdout: {
      write: (text: string) => {
        out += text;
        return true;
      },
    },
    stderr: {
      write: (text: string) => {
        err += text;
        return true;
      },
    },
    env: { ...process.env, RAY_API_SERVER_ADDRESS: ray.dashboardUrl },
    cwd: process.cwd(),
  } as unknown as CommandIo;
  return { io, stdout: () => out, stderr: () => err };
}

describe('judgeflow submit against a real Ray head (Jobs REST API)', () => {
  it('runs the eval as a Ray job, follows its logs to SUCCEEDED and exits 0; jobs list/logs see it', async () => {
    const { dir } = writeEvalFolder({ rows: 12 });
    folders.push(dir);
    let output = '';
    const logs: string[] = [];
    const result = await submitEvalFile({
      evalPath: path.join(dir, 'eval.yaml'),
      rayUrl: ray.dashboardUrl,
      follow: true,
      env: rayEnv(ray.address),
      cwd: process.cwd(),
      judgeflowCommand,
      workers: 2,
      workerConcurrency: 4,
      runArgs: ['--no-mlflow', '--no-progress'],
      // not a secret: where the cluster's Python with ray lives (a Ray image would have it on PATH)
      envVars: { JUDGEFLOW_RAY_PYTHON: ray.python },
      output: (text) => {
        output += text;
      },
      log: (line) => logs.push(line),
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.exitCode).toBe(0);
    // the followed logs carry the run's own summary, produced inside the cluster by --executor ray
    expect(output).toMatch(/rows: 12\s+failed rows: 0/);
    expect(output).toContain('exact_match');
    expect(output).toMatch(/worker judgeflow-.*-w1 ready/);
    expect(logs.some((line) => line.includes('uploading _ray_pkg_'))).toBe(true);

    const list = captureIo();
    expect(await jobsListCommand({ json: false }, list.io)).toBe(0);
    expect(list.stdout()).toContain(result.submissionId);
    expect(list.stdout()).toMatch(
      new RegExp(`${result.submissionId}\\s+SUCCEEDED\\s+judgeflow judgeflow-ray-tests/eval.yaml`),
    );

    const fullLogs = captureIo();
    expect(await jobsLogsCommand(result.submissionId, { follow: false }, fullLogs.io)).toBe(0);
    expect(fullLogs.stdout()).toMatch(/rows: 12\s+failed rows: 0/);

    // same folder again: the content-addressed package is already there, nothing is uploaded
    const again: string[] = [];
    const second = await submitEvalFile({
      evalPath: path.join(dir, 'eval.yaml'),
      rayUrl: ray.dashboardUrl,
      follow: false,
      env: rayEnv(ray.address),
      cwd: process.cwd(),
      judgeflowCommand: 'true',
      output: () => undefined,
      log: (line) => again.push(line),
    });
    expect(second.exitCode).toBe(0);
    expect(again.some((line) => line.includes('is already on the cluster'))).toBe(true);
    expect(again.some((line) => line.includes('uploading'))).toBe(false);
  });

  it('stops the job on interrupt: STOPPED, exit 130, and its actors are gone', async () => {
    const { dir } = writeEvalFolder({ rows: 100, sleepMs: 1000 });
    folders.push(dir);
    const stop = new AbortController();
    let output = '';
    const runName = `stop-test-${Date.now()}`;
    const result = await submitEvalFile({
      evalPath: path.join(dir, 'eval.yaml'),
      rayUrl: ray.dashboardUrl,
      follow: true,
      env: rayEnv(ray.address),
      cwd: process.cwd(),
      judgeflowCommand,
      workers: 1,
      workerConcurrency: 1,
      runArgs: ['--no-mlflow', '--no-progress', '--run-name', runName],
      envVars: { JUDGEFLOW_RAY_PYTHON: ray.python },
      stopSignal: stop.signal,
      output: (text) => {
        output += text;
        // interrupt once the workers are up and rows are running
        if (output.includes('ready (Node pid')) setTimeout(() => stop.abort(), 2000);
      },
      log: () => undefined,
    });
    expect(result.status).toBe('STOPPED');
    expect(result.exitCode).toBe(130);
    const actorName = `judgeflow-${runName}-w0`;
    let state: string | undefined;
    for (let i = 0; i < 60 && state !== 'DEAD'; i++) {
      state = (await dashboardActors(ray.dashboardUrl)).find((a) => a.name === actorName)?.state;
      if (state !== 'DEAD') await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(state).toBe('DEAD');
  });

  it('jobs stop --wait stops a running job', async () => {
    const { dir } = writeEvalFolder({ rows: 1 });
    folders.push(dir);
    const submitted = await submitEvalFile({
      evalPath: path.join(dir, 'eval.yaml'),
      rayUrl: ray.dashboardUrl,
      follow: false,
      env: rayEnv(ray.address),
      cwd: process.cwd(),
      judgeflowCommand: 'sleep 120; echo',
      output: () => undefined,
      log: () => undefined,
    });
    const io = captureIo();
    expect(await jobsStopCommand(submitted.submissionId, { wait: true }, io.io)).toBe(0);
    expect(io.stderr()).toContain(`job ${submitted.submissionId} STOPPED`);
  });
});
