// Helpers for the benchmarks that compare judgeflow with peer tools: install the peers from their
// own lockfiles when a benchmark runs (never in CI or `npm test`), start a throwaway MLflow server,
// read the server's CPU time, and note the machine's load (it is shared with other work).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { root, tempDir } from './lib.mjs';

export const peersDir = path.join(root, 'bench/peers');
const venvDir = path.join(peersDir, '.venv');
const requirementsFile = path.join(peersDir, 'requirements.txt');

/** Runs a command to completion with inherited stderr; rejects on a non-zero exit. */
export async function run(command, args, options = {}) {
  const child = spawn(command, args, {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...(options.env ?? {}) },
    stdio: ['ignore', options.capture ? 'pipe' : 'inherit', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
  return out;
}

/**
 * promptfoo from `bench/peers/package-lock.json` (`npm ci` when missing). 0.120.0 installed as a
 * dependency looks for its migrations in `node_modules/promptfoo/drizzle` while they ship in
 * `dist/drizzle`: a symlink puts them where it looks. Returns the promptfoo CLI script.
 */
export async function ensurePromptfoo(log = console.error) {
  const pkg = path.join(peersDir, 'node_modules/promptfoo');
  if (!existsSync(path.join(pkg, 'package.json'))) {
    log('installing promptfoo into bench/peers (npm ci, from bench/peers/package-lock.json)');
    await run('npm', ['ci', '--prefix', peersDir, '--no-audit', '--no-fund']);
  }
  const drizzle = path.join(pkg, 'drizzle');
  if (!existsSync(drizzle)) symlinkSync('dist/drizzle', drizzle);
  const manifest = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8'));
  const bin = typeof manifest.bin === 'string' ? manifest.bin : (manifest.bin?.promptfoo ?? manifest.bin?.pf);
  return { cli: path.join(pkg, bin), version: manifest.version };
}

/**
 * The peers' Python venv (`bench/peers/.venv`) with the pins of `bench/peers/requirements.txt`,
 * (re)built when missing or when the pins changed. Returns its python.
 */
export async function ensurePeerVenv(log = console.error) {
  const python = path.join(venvDir, 'bin/python');
  const hash = createHash('sha256')
    .update(await readFile(requirementsFile))
    .digest('hex');
  const stamp = path.join(venvDir, '.requirements.sha256');
  if (existsSync(python) && existsSync(stamp) && (await readFile(stamp, 'utf8')).trim() === hash)
    return python;
  log('creating bench/peers/.venv from bench/peers/requirements.txt');
  await rm(venvDir, { recursive: true, force: true });
  await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venvDir]);
  await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirementsFile]);
  await writeFile(stamp, `${hash}\n`);
  return python;
}

/** judgeflow's pinned mlflow venv (`judgeflow setup`), built with scripts/setup-env.ts when missing. */
export async function ensureMlflowBin(log = console.error) {
  const home = process.env.JUDGEFLOW_HOME ?? path.join(root, '.judgeflow');
  const bin = path.join(home, 'venvs/mlflow/bin/mlflow');
  if (!existsSync(bin)) {
    log(`building the pinned mlflow venv in ${home} (scripts/setup-env.ts mlflow)`);
    await run('npx', ['tsx', 'scripts/setup-env.ts', 'mlflow'], { env: { JUDGEFLOW_HOME: home } });
  }
  return bin;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A fresh `mlflow server` in a temp folder, started by judgeflow's own start code (`npm run build`
 * first): `store` `postgres` (PostgreSQL from the mlflow venv, as judgeflow's local server runs) or
 * `sqlite`; `appName` `judgeflow` for the batch writer (judgeflow's server), none for a stock server;
 * local artifacts behind the proxy, a free port on 127.0.0.1, telemetry and the job runner off,
 * `workers` uvicorn workers. `cpuSeconds()` counts the server's whole process tree and, on
 * PostgreSQL, the database's (utime+stime, with what they reaped); `stop()` stops both.
 */
export async function startMlflowServer({ workers = 4, store = 'sqlite', appName } = {}) {
  const dist = (file) => import(pathToFileURL(path.join(root, 'dist/sinks/mlflow/local-server', file)).href);
  const { startServerProcesses } = await dist('start.js');
  const { serverFolder } = await dist('store.js');
  const { stopPostgres } = await dist('postgres.js');
  const { stopProcessGroup } = await dist('processes.js');
  await ensureMlflowBin();
  const home = process.env.JUDGEFLOW_HOME ?? path.join(root, '.judgeflow');
  const dir = await tempDir('mlflow');
  const folder = serverFolder(dir);
  const started = await startServerProcesses({
    home,
    folder,
    store: { kind: store },
    port: await freePort(),
    workers,
    ...(appName !== undefined ? { appName } : {}),
    source: process.env,
  });
  const pids = () => [
    ...processTree(started.pid),
    ...(started.postgres !== undefined ? processTree(started.postgres.pid) : []),
  ];
  const stop = async () => {
    await stopProcessGroup(started.pid, 15_000);
    if (started.postgres !== undefined)
      await stopPostgres({ pid: started.postgres.pid, data: folder.postgres.data });
    await rm(dir, { recursive: true, force: true });
  };
  return {
    uri: started.uri,
    dir,
    workers,
    store,
    app: appName ?? 'stock',
    stop,
    cpuSeconds: () => cpuSecondsOf(pids()),
    databaseCpuSeconds: () =>
      started.postgres !== undefined ? cpuSecondsOf(processTree(started.postgres.pid)) : 0,
  };
}

/** A process and all its descendants, from /proc. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat === undefined) continue;
    const parent = Number(stat[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift();
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** utime+stime of the processes, plus what they reaped (cutime+cstime), in seconds. */
function cpuSecondsOf(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat !== undefined)
      ticks += Number(stat[11]) + Number(stat[12]) + Number(stat[13]) + Number(stat[14]);
  }
  return ticks / 100;
}

/** /proc/<pid>/stat fields after the command name: [state, ppid, pgrp, ...]. */
function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function loadAverage() {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

/** CPU busy (in cores, all processes) over `ms`, from /proc/stat. */
export async function busyCores(ms = 3000) {
  const sample = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { idle, total };
  };
  const a = sample();
  await sleep(ms);
  const b = sample();
  const total = b.total - a.total;
  return total > 0 ? (os.cpus().length * (total - (b.idle - a.idle))) / total : 0;
}

/**
 * Waits until the machine (shared with other engineers' tests) is quiet: the CPU busy over a few
 * seconds, measured while none of this benchmark's processes run, is below `maxBusy` cores — at
 * most `timeoutMs`. (The 1-minute load average would still count the previous case's own load.)
 * Returns `{busy, load}` as seen when it went ahead.
 */
export async function waitForQuiet({ maxBusy = 0.3, timeoutMs = 300_000, log = console.error } = {}) {
  const deadline = Date.now() + timeoutMs;
  let warned = false;
  for (;;) {
    const busy = await busyCores();
    if (busy <= maxBusy || Date.now() > deadline) {
      if (busy > maxBusy)
        log(`machine still busy (${busy.toFixed(2)} cores) after ${timeoutMs / 1000} s; going ahead`);
      return { busy: Number(busy.toFixed(2)), load: loadAverage() };
    }
    if (!warned)
      log(`other processes use ${busy.toFixed(2)} cores (> ${maxBusy}); waiting up to ${timeoutMs / 1000} s`);
    warned = true;
    await sleep(2000);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function writeJson(file, value) {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The run's status, traces and assessments as Python's MLflow client sees them (bench/python/count_run.py). */
export async function countRun(python, uri, runId) {
  const out = await run(python, [path.join(root, 'bench/python/count_run.py'), runId], {
    capture: true,
    env: { MLFLOW_TRACKING_URI: uri, MLFLOW_DISABLE_TELEMETRY: 'true' },
  });
  const { status, traces, feedbacks, expectations } = JSON.parse(out.trim().split('\n').pop());
  return { status, traces, feedbacks, expectations };
}

/**
 * Like lib.mjs `measure` (GNU time: wall, user+sys CPU of the process and the children it reaped,
 * peak RSS) but keeps the command's stdout.
 */
export async function measureWithOutput(command, args, options = {}) {
  const timeFile = path.join(await tempDir('time'), 'time.txt');
  const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', command, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...(options.env ?? {}) },
    stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  const [wall, user, sys, rssKb] = (await readFile(timeFile, 'utf8'))
    .trim()
    .split(/\s+/)
    .slice(-4)
    .map(Number);
  await rm(path.dirname(timeFile), { recursive: true, force: true });
  return { code, wallS: wall, cpuS: user + sys, peakRssMb: rssKb / 1024, stdout };
}

/** Non-idle CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusySeconds() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (fields[3] ?? 0) - (fields[4] ?? 0)) / 100;
}

/** CPU seconds of this process's children whose command line contains `needle` (the latency server). */
function childCpuSeconds(needle) {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat === undefined || Number(stat[1]) !== process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) continue;
    } catch {
      continue;
    }
    total += Number(stat[11]) + Number(stat[12]) + Number(stat[13]) + Number(stat[14]);
  }
  return total / 100;
}

/**
 * Starts watching one case: at `stop(toolCpuS, wallS)` reports the MLflow server's CPU seconds,
 * the latency server's, and how many cores OTHER processes (other engineers' work on this shared
 * machine) kept busy meanwhile: machine busy − tool − MLflow server − latency server.
 */
export function startMeter(server) {
  const machine0 = machineBusySeconds();
  const latency0 = childCpuSeconds('latency-server');
  const server0 = server?.cpuSeconds() ?? 0;
  return (toolCpuS, wallS) => {
    const serverCpuS = server !== undefined ? server.cpuSeconds() - server0 : undefined;
    const latencyCpuS = childCpuSeconds('latency-server') - latency0;
    const busy = machineBusySeconds() - machine0;
    const others = Math.max(0, busy - toolCpuS - (serverCpuS ?? 0) - latencyCpuS);
    return {
      ...(serverCpuS !== undefined ? { server_cpu_s: serverCpuS } : {}),
      latency_server_cpu_s: latencyCpuS,
      others_cores: Number((others / wallS).toFixed(2)),
      load_after: loadAverage(),
    };
  };
}
