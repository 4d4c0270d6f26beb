// Issue 9: 100,000 rows into MLflow with no model latency (recorded outputs, one code scorer). Scoring
// is far faster than MLflow absorbs rows, so the sink keeps 2000 rows in memory and the rest in its
// disk spool. Checks that the write rate holds over the whole run (rows/s over the last 10k rows
// written within 15% of the first 10k) and that the judgeflow process's memory stays flat.
//
// The write rate comes from judgeflow's own progress lines (`MLflow W/A written`, every 5 s, read
// with their arrival time); RSS from /proc every second. What landed is counted from Python.
//
// Usage: npm run build && node bench/mlflow-scale.mjs [--rows 100000] [--store sqlite|postgres]
//        [--app-name judgeflow] [--server-workers 4] [--max-busy CORES]
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { fmt, root, writeQuestions } from './lib.mjs';
import { ensurePeerVenv, startMlflowServer, waitForQuiet, writeJson } from './peers-lib.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    store: { type: 'string', default: 'sqlite' },
    'app-name': { type: 'string' },
    'server-workers': { type: 'string', default: '4' },
    window: { type: 'string', default: '10000' },
    'max-busy': { type: 'string', default: '0.5' },
  },
});
const N = Number(values.rows);
const windowRows = Math.min(Number(values.window), Math.floor(N / 2));
const log = (line) => console.error(`[bench:mlflow-scale] ${line}`);
const run = promisify(execFile);

const python = await ensurePeerVenv();
const dir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-bench-scale-'));
await writeQuestions(path.join(dir, 'rows.jsonl'), N, true);
await writeFile(
  path.join(dir, 'eval.yaml'),
  [
    'experiment: bench-scale',
    'dataset: {path: rows.jsonl}',
    'scorers: [exact_match]',
    'concurrency: 64',
    '',
  ].join('\n'),
);
const quiet = await waitForQuiet({ maxBusy: Number(values['max-busy']), log });
const server = await startMlflowServer({
  workers: Number(values['server-workers']),
  store: values.store,
  ...(values['app-name'] !== undefined ? { appName: values['app-name'] } : {}),
});
const out = path.join(dir, 'out');
const samples = []; // {t, written, accepted}
const rss = []; // {t, mb}
let report;
try {
  const started = performance.now();
  const serverCpu0 = server.cpuSeconds();
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin/judgeflow.js'),
      'run',
      path.join(dir, 'eval.yaml'),
      '--tracking-uri',
      server.uri,
      '--out',
      out,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let buffer = '';
  child.stderr.on('data', (chunk) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const match = /MLflow (\d+)\/(\d+) written/.exec(line);
      if (match !== null)
        samples.push({
          t: (performance.now() - started) / 1000,
          written: Number(match[1]),
          accepted: Number(match[2]),
        });
      newline = buffer.indexOf('\n');
    }
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  const timer = setInterval(() => {
    const mb = rssMb(child.pid);
    if (mb !== undefined) rss.push({ t: (performance.now() - started) / 1000, mb });
  }, 1000);
  const cpu = { at: 0, s: 0 };
  const cpuTimer = setInterval(() => {
    const s = cpuSeconds(child.pid);
    if (s !== undefined) Object.assign(cpu, { s });
  }, 1000);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  clearInterval(cpuTimer);
  const wallS = (performance.now() - started) / 1000;
  const serverCpuS = server.cpuSeconds() - serverCpu0;
  if (code !== 0) throw new Error(`judgeflow exited with ${code}:\n${stdout}`);
  samples.push({ t: wallS, written: N, accepted: N });
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
  const { stdout: counted } = await run(
    python,
    [path.join(root, 'bench/python/count_run.py'), summary.mlflow.run_id],
    {
      env: { ...process.env, MLFLOW_TRACKING_URI: server.uri, MLFLOW_DISABLE_TELEMETRY: 'true' },
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const landed = JSON.parse(counted);
  const firstWritten = samples.find((s) => s.written > 0);
  const t0 =
    firstWritten !== undefined ? firstWritten.t - firstWritten.written / rateNear(samples, firstWritten) : 0;
  const first = windowRows / (timeAt(samples, windowRows) - Math.max(0, t0));
  const last = windowRows / (wallS - timeAt(samples, N - windowRows));
  const rssValues = rss.map((r) => r.mb);
  const tenth = (q) => rssAtWritten(samples, rss, q * N);
  report = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, node ${process.version}`,
    N,
    server: {
      store: values.store,
      app: values['app-name'] ?? 'stock',
      workers: Number(values['server-workers']),
    },
    quiet,
    wall_s: fmt(wallS, 1),
    scoring_s: summary.scoring_s,
    drain_s: summary.drain_s,
    rows_per_s: fmt(N / wallS, 1),
    first_window_rows_per_s: fmt(first, 1),
    last_window_rows_per_s: fmt(last, 1),
    last_vs_first: `${fmt((100 * last) / first, 1)}%`,
    rss_mb: {
      peak: fmt(Math.max(...rssValues), 0),
      at_10pct_written: fmt(tenth(0.1), 0),
      at_50pct_written: fmt(tenth(0.5), 0),
      at_90pct_written: fmt(tenth(0.9), 0),
    },
    judgeflow_cpu_ms_per_row: fmt((1000 * cpu.s) / N, 2),
    server_cpu_ms_per_row: fmt((1000 * serverCpuS) / N, 2),
    landed,
    complete: landed.traces === N && landed.feedbacks === N && landed.expectations === N && landed.spans >= N,
  };
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

const { landed, ...shown } = report;
console.log(JSON.stringify(shown, null, 2));
console.log(
  `landed: ${landed.traces} traces, ${landed.feedbacks} feedbacks, ${landed.expectations} expectations, ${landed.spans} spans (${report.complete ? 'complete' : 'INCOMPLETE'})`,
);
const file = path.join(root, 'bench/out', `mlflow-scale-${report.date.replace(/[:.]/g, '-')}.json`);
await writeJson(file, { ...report, samples, rss });
console.log(`raw figures: ${path.relative(root, file)}`);

// ---- helpers -------------------------------------------------------------------------------------

function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match !== null ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** When `written` reached `target`, interpolated between progress samples. */
function timeAt(series, target) {
  let previous = { t: 0, written: 0 };
  for (const sample of series) {
    if (sample.written >= target) {
      const span = sample.written - previous.written;
      return span > 0
        ? previous.t + ((target - previous.written) / span) * (sample.t - previous.t)
        : sample.t;
    }
    previous = sample;
  }
  return series[series.length - 1]?.t ?? 0;
}

function rateNear(series, sample) {
  const next = series.find((s) => s.t > sample.t + 4 && s.written > sample.written);
  return next !== undefined ? (next.written - sample.written) / (next.t - sample.t) : 1;
}

function rssAtWritten(series, rssSeries, written) {
  const t = timeAt(series, written);
  let best = rssSeries[0];
  for (const r of rssSeries) if (Math.abs(r.t - t) < Math.abs((best?.t ?? 0) - t)) best = r;
  return best?.mb ?? Number.NaN;
}
