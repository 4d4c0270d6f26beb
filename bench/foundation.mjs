// Issue 2's benchmark: judgeflow evaluating N rows whose model under test is a loopback
// OpenAI-compatible server with fixed latency L, at concurrency C, file sink only (--no-mlflow).
// Prints wall time, rows/s, % of the C/L limit, CPU ms per row of judgeflow's process and peak RSS.
// Usage: npm run build && node bench/foundation.mjs [--quick]
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fmt, measure, root, startLatencyServer, tempDir, writeQuestions } from './lib.mjs';

const quick = process.argv.includes('--quick');
const cases = [
  { name: 'throughput', latencyMs: 100, concurrency: 64, rows: quick ? 1000 : 5000 },
  { name: 'memory', latencyMs: 0, concurrency: 64, rows: quick ? 10_000 : 100_000 },
];

const lines = [];
for (const c of cases) {
  const server = await startLatencyServer(c.latencyMs);
  try {
    const dir = await tempDir(c.name);
    await writeQuestions(path.join(dir, 'rows.jsonl'), c.rows);
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        'experiment: bench',
        'dataset: {path: rows.jsonl}',
        'model:',
        '  provider: openai-compatible',
        `  base_url: ${server.baseUrl}`,
        '  model: latency',
        '  prompt: "{{ inputs.question }}"',
        '  max_tokens: 16',
        'scorers: [exact_match]',
        `concurrency: ${c.concurrency}`,
        '',
      ].join('\n'),
    );
    const m = await measure(
      process.execPath,
      [
        path.join(root, 'bin/judgeflow.js'),
        'run',
        path.join(dir, 'eval.yaml'),
        '--no-mlflow',
        '--no-progress',
        '--out',
        path.join(dir, 'out'),
      ],
      { quiet: true },
    );
    if (m.code !== 0 && m.code !== 1) throw new Error(`judgeflow exited with ${m.code}`);
    const rowsPerS = c.rows / m.wallS;
    const limit = c.latencyMs > 0 ? (c.concurrency * 1000) / c.latencyMs : Number.POSITIVE_INFINITY;
    const line = {
      case: c.name,
      N: c.rows,
      C: c.concurrency,
      L_ms: c.latencyMs,
      wall_s: fmt(m.wallS, 2),
      rows_per_s: fmt(rowsPerS, 0),
      pct_of_C_over_L: Number.isFinite(limit) ? `${fmt((100 * rowsPerS) / limit, 1)}%` : 'n/a',
      cpu_ms_per_row: fmt((1000 * m.cpuS) / c.rows, 3),
      peak_rss_mb: fmt(m.peakRssMb, 0),
    };
    lines.push(line);
    console.log(JSON.stringify(line));
  } finally {
    server.stop();
  }
}
console.log('\n| case | N | C | L | wall s | rows/s | % of C/L | CPU ms/row | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const l of lines) {
  console.log(
    `| ${l.case} | ${l.N} | ${l.C} | ${l.L_ms} ms | ${l.wall_s} | ${l.rows_per_s} | ${l.pct_of_C_over_L} | ${l.cpu_ms_per_row} | ${l.peak_rss_mb} |`,
  );
}
