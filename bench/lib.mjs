// Shared helpers for the benchmarks: start the loopback latency server in its own process, run a
// command under GNU time to read its wall time, CPU time and peak RSS, and write datasets.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function tempDir(prefix) {
  return mkdtemp(path.join(os.tmpdir(), `judgeflow-bench-${prefix}-`));
}

/** Starts `test/helpers/latency-server.ts` in its own process; resolves with its base URL. */
export async function startLatencyServer(latencyMs) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'test/helpers/latency-server.ts'),
      '--port',
      '0',
      '--latency-ms',
      String(latencyMs),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const match = /READY (\d+)/.exec(buffer);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`latency server exited with ${code}`)));
  });
  return { baseUrl: `http://127.0.0.1:${port}/v1`, stop: () => child.kill('SIGTERM') };
}

/** Runs a command under /usr/bin/time; returns wall seconds, user+sys CPU seconds and peak RSS in MB. */
export async function measure(command, args, options = {}) {
  const timeFile = path.join(await tempDir('time'), 'time.txt');
  const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', command, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...(options.env ?? {}) },
    stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit'],
  });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  const [wall, user, sys, rssKb] = (await readFile(timeFile, 'utf8'))
    .trim()
    .split(/\s+/)
    .slice(-4)
    .map(Number);
  return { code, wallS: wall, cpuS: user + sys, peakRssMb: rssKb / 1024 };
}

/** Writes N rows of `{id, inputs: {question}}` (no outputs: the model under test is called). */
export async function writeQuestions(file, n, withOutputs = false) {
  const out = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const row = {
      id: `q${i}`,
      inputs: { question: `What is ${i} plus ${i}?` },
      expectations: { expected_response: String(2 * i) },
    };
    if (withOutputs) row.outputs = String(2 * i);
    if (!out.write(`${JSON.stringify(row)}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

export function fmt(n, digits = 1) {
  return Number(n).toFixed(digits);
}
