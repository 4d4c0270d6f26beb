// Issue 5's benchmark: rows/s of the Ray executor for 1, 2 and 4 workers (K rows in flight each),
// model under test = the loopback latency server at L ms, N rows, MLflow off (the executor alone:
// results are counted, not written). Ideal throughput is W·K/L rows/s; start-up (ray.init, the
// working_dir upload, actors and Node workers starting) is reported separately from the steady run.
//
// Usage: node --import tsx bench/ray-scaling.mjs [--rows 1000] [--latency-ms 1000] [--k 16] [--workers 1,2,4]
// Uses RAY_ADDRESS when set (a running cluster), else starts a small local head for the run.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readEnv } from '../src/config/env.ts';
import { createRayExecutor } from '../src/executors/ray/index.ts';
import { requirePythonEnv } from '../src/setup/python-env.ts';
import { startRayHead } from '../test/integration/servers/ray.ts';
import { fmt, root, startLatencyServer } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    'latency-ms': { type: 'string', default: '1000' },
    k: { type: 'string', default: '16' },
    workers: { type: 'string', default: '1,2,4' },
  },
});
const rows = Number(values.rows);
const latencyMs = Number(values['latency-ms']);
const k = Number(values.k);
const workerCounts = values.workers.split(',').map(Number);

const home = process.env.JUDGEFLOW_HOME ?? path.join(root, '.judgeflow');
const head = process.env.RAY_ADDRESS ? undefined : await startRayHead({ home });
const address = process.env.RAY_ADDRESS ?? head.address;
const python = process.env.JUDGEFLOW_RAY_PYTHON ?? (await requirePythonEnv(home, 'ray'));
const server = await startLatencyServer(latencyMs);
const baseDir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-bench-ray-'));

/** Busy/total jiffies of the whole machine, to say whether the CPU was the limit. */
function cpuTimes() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = fields.map(Number);
  const idle = n[3] + n[4];
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU seconds (user+system) a process has used so far; 0 once it is gone. */
function processCpuS(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

const plan = {
  baseDir,
  model: {
    provider: 'openai-compatible',
    base_url: server.baseUrl,
    model: 'latency',
    prompt: '{{ inputs.question }}',
    max_tokens: 16,
  },
  scorers: ['exact_match'],
};

async function* dataset() {
  for (let i = 0; i < rows; i++) {
    yield {
      record: {
        id: `q${i}`,
        inputs: { question: `What is ${i} plus ${i}?` },
        expectations: { expected_response: String(2 * i) },
      },
      index: i,
      location: { source: 'bench', line: i + 1 },
    };
  }
}

const results = [];
try {
  for (const workers of workerCounts) {
    const started = performance.now();
    let readyAt = 0;
    let lastAt = 0;
    let done = 0;
    let failed = 0;
    let cpuAtReady;
    let pids = [];
    let workerCpuAtReady = 0;
    let driverCpuAtReady;
    const notices = [];
    let workerCpu = 0;
    let driverCpu = 0;
    let cpuAtEnd;
    const executor = createRayExecutor({
      plan,
      env: readEnv({ ...process.env, RAY_ADDRESS: address }),
      home,
      python,
      workers,
      workerConcurrency: k,
      runName: `bench-w${workers}`,
      log: (line) => {
        if (line.startsWith('judgeflow ray:')) notices.push(line);
      },
      onWorkers: (infos) => {
        readyAt = performance.now();
        cpuAtReady = cpuTimes();
        pids = infos.flatMap((w) => [w.pid, w.actor_pid]);
        workerCpuAtReady = pids.reduce((sum, pid) => sum + processCpuS(pid), 0);
        driverCpuAtReady = process.cpuUsage();
      },
    });
    await executor.execute(dataset(), {
      signal: new AbortController().signal,
      onResult: (result) => {
        done++;
        if (result.error !== undefined) failed++;
        lastAt = performance.now();
        if (done === rows) {
          // measured before the executor shuts its workers down
          workerCpu = pids.reduce((sum, pid) => sum + processCpuS(pid), 0) - workerCpuAtReady;
          const driver = process.cpuUsage(driverCpuAtReady);
          driverCpu = (driver.user + driver.system) / 1e6;
          cpuAtEnd = cpuTimes();
        }
      },
    });
    const steadyS = (lastAt - readyAt) / 1000;
    const rowsPerS = done / steadyS;
    const ideal = (workers * k * 1000) / latencyMs;
    const machineCpu = (cpuAtEnd.busy - cpuAtReady.busy) / (cpuAtEnd.total - cpuAtReady.total);
    results.push({
      workers,
      K: k,
      N: done,
      failed_rows: failed,
      startup_s: fmt((readyAt - started) / 1000, 1),
      run_s: fmt(steadyS, 1),
      rows_per_s: fmt(rowsPerS, 1),
      ideal_rows_per_s: fmt(ideal, 1),
      pct_of_ideal: `${fmt((100 * rowsPerS) / ideal, 1)}%`,
      machine_cpu_busy: `${fmt(100 * machineCpu, 0)}%`,
      worker_cpu_ms_per_row: fmt((1000 * workerCpu) / done, 2),
      driver_cpu_ms_per_row: fmt((1000 * driverCpu) / done, 2),
      restarts: notices.length,
    });
    console.error(JSON.stringify(results[results.length - 1]));
  }
} finally {
  server.stop();
  await rm(baseDir, { recursive: true, force: true });
  await head?.stop();
}

const base = Number(results[0].rows_per_s) / results[0].workers;
for (const r of results)
  r.scaling_efficiency = `${fmt((100 * Number(r.rows_per_s)) / (base * r.workers), 1)}%`;
console.log(
  `Ray scaling: N=${rows}, L=${latencyMs} ms, K=${k} per worker, MLflow off, ${os.cpus().length} cores`,
);
console.table(results);
