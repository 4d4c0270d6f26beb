// Issue 9, item 3: the MLflow server's CPU per evaluation row when rows arrive through judgeflow's
// batch writer plugin (`mlflow server --app-name judgeflow`), next to the REST path on the same server.
//
// One row: a trace with 3 spans (root CHAIN + model LLM + judge LLM, ~4 KB of span data), one feedback
// (LLM judge, with rationale) and one expectation, linked to the run. The figure is utime+stime of the
// server's whole process tree (uvicorn workers included) plus, on PostgreSQL, the database's process
// tree, over the writes only (warm server, job runner off). Every case is counted back from Python
// (traces, spans, feedbacks, expectations of the run) before its figure is reported.
//
// Cases:
//   batch — writeTraceBatch: 500 traces per request, one transaction each (sent one at a time)
//   replay — the batch writer sending rows it already wrote (a retry after a lost answer, a spool
//           replay): every trace takes the merge path
//   rest  — the REST path on the same server: StartTraceV3 with assessments inline (8 in flight), OTLP
//           JSON spans 50 traces per request, link-to-run 100 per request
//
// Usage: npm run build && node bench/batch-writer.mjs [--rows 1000] [--stores sqlite,postgresql]
//        [--cases batch,rest] [--server-workers 4] [--max-busy 0.5]
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { root, tempDir } from './lib.mjs';
import { ensureMlflowBin, freePort, loadAverage, sleep, waitForQuiet } from './peers-lib.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    stores: { type: 'string', default: 'sqlite,postgresql' },
    cases: { type: 'string', default: 'batch,rest' },
    'server-workers': { type: 'string', default: '4' },
    'max-busy': { type: 'string', default: '0.5' },
  },
});
const N = Number(values.rows);
const workers = Number(values['server-workers']);
if (!existsSync(path.join(root, 'dist/sinks/mlflow/batch-writer.js')))
  throw new Error('run `npm run build` first');
const dist = (file) => import(pathToFileURL(path.join(root, 'dist', file)).href);
const { MlflowClient } = await dist('sinks/mlflow/client.js');
const { probeBatchWriter, writeTraceBatch, batchTraceJson } = await dist('sinks/mlflow/batch-writer.js');
const { buildTraceJob } = await dist('sinks/mlflow/trace-job.js');
const { jsonWithNanos, otlpRequest, otlpSpan, pythonSpanDicts } = await dist('sinks/mlflow/span-encoding.js');
const { emptyUsage } = await dist('core/usage.js');

const mlflowBin = await ensureMlflowBin();
const python = path.join(path.dirname(mlflowBin), 'python');

const results = [];
for (const store of values.stores.split(',')) {
  for (const kase of values.cases.split(',')) results.push(await measureCase(store, kase));
}
console.log(JSON.stringify({ date: new Date().toISOString(), rows: N, workers, results }, null, 2));

async function measureCase(store, kase) {
  const dir = await tempDir(`batch-writer-${store}`);
  const postgres = store === 'postgresql' ? await startPostgres(dir) : undefined;
  const backend = postgres?.uri ?? `sqlite:///${path.join(dir, 'mlflow.db')}`;
  const server = await startServer(dir, backend);
  const client = new MlflowClient({ trackingUri: server.uri, maxConcurrency: 16 });
  try {
    const writer = await probeBatchWriter(client);
    if (writer === undefined) throw new Error('the server does not announce the batch writer');
    const write = async (context, jobs) => {
      if (kase === 'batch' || kase === 'replay') {
        await writeTraceBatch(client, jobs, {
          experimentId: context.experimentId,
          runId: context.runId,
          limits: writer,
        });
        return;
      }
      await inFlight(jobs, 8, (job) => client.startTrace({ ...job.traceInfo, assessments: job.assessments }));
      for (let i = 0; i < jobs.length; i += 50) {
        const part = jobs.slice(i, i + 50);
        await client.logSpansOtlp(
          context.experimentId,
          otlpRequest(part.flatMap((job) => job.spans.map((span) => otlpSpan(job.traceIdHex, span)))),
        );
      }
      await client.linkTracesToRun(
        context.runId,
        jobs.map((job) => job.traceId),
      );
    };
    // Warm-up: every worker imports its code paths and opens its pool before the measured writes.
    const warm = await newRun(client, `warm-${kase}`);
    await write(warm, rows(40, warm));
    const context = await newRun(client, kase);
    const jobs = rows(N, context);
    if (kase === 'replay') await write(context, jobs);
    const sample = jobs.slice(0, 50);
    const average = (bytes) => Math.round(sample.reduce((sum, job) => sum + bytes(job), 0) / sample.length);
    const bytesPerTrace = average((job) => Buffer.byteLength(batchTraceJson(job)));
    const spanBytesPerTrace = average((job) =>
      Buffer.byteLength(jsonWithNanos(pythonSpanDicts(job.traceIdHex, job.traceId, job.spans))),
    );
    const quiet = await waitForQuiet({ maxBusy: Number(values['max-busy']) });
    const cpu = () => server.cpuSeconds() + (postgres?.cpuSeconds() ?? 0);
    const idle0 = cpu();
    await sleep(5000);
    const idlePerS = (cpu() - idle0) / 5;
    const server0 = server.cpuSeconds();
    const db0 = postgres?.cpuSeconds() ?? 0;
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    await write(context, jobs);
    const wallS = (performance.now() - t0) / 1000;
    const serverS = server.cpuSeconds() - server0;
    const dbS = (postgres?.cpuSeconds() ?? 0) - db0;
    const clientUsage = process.cpuUsage(client0);
    const counted = countRun(server.uri, context);
    if (
      counted.traces !== N ||
      counted.spans !== 3 * N ||
      counted.feedbacks !== N ||
      counted.expectations !== N
    )
      throw new Error(`${store}/${kase}: MLflow holds ${JSON.stringify(counted)}, expected ${N} rows`);
    const result = {
      store,
      case: kase,
      rows: N,
      wall_s: Number(wallS.toFixed(2)),
      rows_per_s: Math.round(N / wallS),
      server_cpu_ms_per_row: Number(((serverS * 1000) / N).toFixed(2)),
      db_cpu_ms_per_row: postgres !== undefined ? Number(((dbS * 1000) / N).toFixed(2)) : undefined,
      total_cpu_ms_per_row: Number((((serverS + dbS) * 1000) / N).toFixed(2)),
      idle_cpu_ms_per_s: Number((idlePerS * 1000).toFixed(1)),
      client_cpu_ms_per_row: Number(((clientUsage.user + clientUsage.system) / 1000 / N).toFixed(2)),
      bytes_per_trace: bytesPerTrace,
      span_bytes_per_trace: spanBytesPerTrace,
      counted,
      busy_before: quiet.busy,
      load_after: loadAverage(),
    };
    console.error(JSON.stringify(result));
    return result;
  } finally {
    await client.close();
    await server.stop();
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function inFlight(items, limit, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

async function newRun(client, label) {
  const { experiment } = await client.getOrCreateExperiment(`bench-batch-writer-${label}-${Date.now()}`);
  const created = await client.createRun({ experimentId: experiment.experiment_id, startTime: Date.now() });
  return {
    runId: created.info.run_id,
    experimentId: experiment.experiment_id,
    user: 'bench',
    sourceName: 'bench/batch-writer.mjs',
    sourceType: 'LOCAL',
  };
}

/** N typical evaluation rows as TraceJobs: 3 spans (~4 KB), 1 feedback, 1 expectation. */
function rows(count, context) {
  const context1k = 'Background: '.padEnd(700, 'lorem ipsum dolor sit amet ');
  return Array.from({ length: count }, (_, i) => {
    const start = Date.now() - 60_000 + i;
    const question = `Question ${i}: what is ${i} + ${i}?`;
    const answer = `The answer is ${2 * i}.`;
    const span = (spanId, parentId, name, spanType, from, to, extra) => ({
      spanId,
      parentId,
      name,
      spanType,
      startTimeMs: from,
      endTimeMs: to,
      attributes: {},
      status: { code: 'OK' },
      ...extra,
    });
    const hex = (n, salt) => ((n * 2654435761 + salt) >>> 0).toString(16).padStart(8, '0').repeat(2);
    const rootId = hex(i, 1);
    const result = {
      id: `row-${i}`,
      index: i,
      inputs: { question, context: context1k },
      outputs: answer,
      expectations: { expected_response: answer },
      tags: {},
      feedbacks: [
        {
          name: 'correctness',
          value: 'yes',
          rationale: 'The response states the same sum as the expected response.',
          source: { type: 'LLM_JUDGE', id: 'openai:/judge-model' },
          metadata: { 'mlflow.assessment.judgeInputTokens': '312' },
        },
      ],
      trace: {
        spans: [
          span(rootId, null, 'predict', 'CHAIN', start, start + 120, {
            inputs: { question, context: context1k },
            outputs: answer,
          }),
          span(hex(i, 2), rootId, 'model', 'CHAT_MODEL', start + 1, start + 80, {
            inputs: { messages: [{ role: 'user', content: `${context1k}\n${question}` }] },
            outputs: { choices: [{ message: { role: 'assistant', content: answer } }] },
            attributes: {
              'mlflow.llm.model': 'model-under-test',
              'mlflow.chat.tokenUsage': { input_tokens: 230, output_tokens: 8, total_tokens: 238 },
            },
          }),
          span(hex(i, 3), rootId, 'judge:correctness', 'LLM', start + 81, start + 119, {
            inputs: { prompt: `Is "${answer}" a correct answer to "${question}"? ${context1k}` },
            outputs: { verdict: 'yes', rationale: 'same sum' },
            attributes: {
              'mlflow.llm.model': 'judge-model',
              'mlflow.chat.tokenUsage': { input_tokens: 312, output_tokens: 20, total_tokens: 332 },
            },
          }),
        ],
      },
      usage: emptyUsage(),
      durationMs: 120,
    };
    return buildTraceJob(result, context);
  });
}

/** The run's traces, spans and assessments as Python's `mlflow` reads them. */
function countRun(uri, context) {
  const script = `
import json, sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
traces = mlflow.search_traces(locations=[sys.argv[2]], run_id=sys.argv[3], return_type="list")
kinds = [("feedback" if a.feedback is not None else "expectation") for t in traces for a in t.info.assessments]
print(json.dumps({"traces": len(traces), "spans": sum(len(t.data.spans) for t in traces),
                  "feedbacks": kinds.count("feedback"), "expectations": kinds.count("expectation")}))
`;
  const out = execFileSync(python, ['-c', script, uri, context.experimentId, context.runId], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(out.toString().trim().split('\n').pop());
}

/** `mlflow server --app-name judgeflow` in its own process group (so its CPU is the group's). */
async function startServer(dir, backend) {
  const port = await freePort();
  const uri = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'server.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(
    mlflowBin,
    [
      'server',
      '--app-name',
      'judgeflow',
      '--backend-store-uri',
      backend,
      '--artifacts-destination',
      path.join(dir, 'artifacts'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      String(workers),
    ],
    {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' },
    },
  );
  closeSync(fd);
  child.unref();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = () => stopGroup(child.pid);
  for (const deadline = Date.now() + 180_000; ; ) {
    if (exited) throw new Error(`mlflow server exited; log:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      if ((await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2000) })).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mlflow server at ${uri} did not answer within 180 s`);
    }
    await sleep(500);
  }
  return { uri, stop, cpuSeconds: () => treeCpuSeconds(child.pid) };
}

/**
 * PostgreSQL from the mlflow venv's `embedded-postgres` package, in `dir`, fsync off (a benchmark,
 * not a store to keep). As root it runs under `unshare` as an unprivileged user (PostgreSQL refuses
 * root). Its process group holds the postmaster and every backend, so its CPU is the group's.
 */
async function startPostgres(dir) {
  const bin = execFileSync(python, [
    '-c',
    'import embedded_postgres._commands as c; print(c.POSTGRES_BIN_PATH)',
  ])
    .toString()
    .trim();
  const asUser = (command) =>
    process.getuid?.() === 0
      ? ['unshare', '--user', '--map-user=65534', '--map-group=65534', '--', ...command]
      : command;
  const data = path.join(dir, 'pgdata');
  await mkdir(dir, { recursive: true });
  const [initdb, ...initArgs] = asUser([
    path.join(bin, 'initdb'),
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const [command, ...args] = asUser([
    path.join(bin, 'postgres'),
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
  ]);
  const fd = openSync(path.join(dir, 'postgres.log'), 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  for (let i = 0; ; i++) {
    try {
      execFileSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], {
        stdio: 'ignore',
      });
      break;
    } catch {
      if (i > 300) throw new Error('PostgreSQL did not start');
      await sleep(100);
    }
  }
  execFileSync(path.join(bin, 'createdb'), [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'postgres',
    'mlflow',
  ]);
  return {
    uri: `postgresql+psycopg2://postgres@127.0.0.1:${port}/mlflow`,
    // Backends call setsid(): the database's CPU is its process tree's, not its process group's.
    cpuSeconds: () => treeCpuSeconds(child.pid),
    stop: () => stopGroup(child.pid),
  };
}

/** utime+stime of a process and all its live descendants, plus what they reaped from exited ones. */
function treeCpuSeconds(rootPid) {
  const stats = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), fields);
    } catch {
      // exited meanwhile
    }
  }
  const children = new Map();
  for (const [pid, fields] of stats) {
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  let ticks = 0;
  for (const pending = [rootPid]; pending.length > 0; ) {
    const pid = pending.pop();
    const fields = stats.get(pid);
    if (fields === undefined) continue;
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks / 100;
}

async function stopGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone already
  }
}
