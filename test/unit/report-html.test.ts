import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pairStatus } from '../../src/app/report/comparison-page.js';
import { readComparisonFile, readResultsFolder } from '../../src/app/report/read-input.js';
import { runMetrics, wilsonInterval } from '../../src/app/report/run-metrics.js';
import { writeReport } from '../../src/app/report/write-report.js';
import { reportCommand } from '../../src/cli/commands/report.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { captureIo, noMlflowRun, repoRoot, tempDir } from '../helpers/cli.js';

const fixture = path.join(repoRoot, 'test/fixtures/report/comparison.json');
const basicEval = path.join(repoRoot, 'examples/basic/eval.yaml');

/** The elements named `tag` (opening tags with their attributes) in a document. */
function openingTags(html: string, tag: string): string[] {
  return [...html.matchAll(new RegExp(`<${tag}(\\s[^>]*)?>`, 'gi'))].map((m) => m[0]);
}

/** The content of the `<script type="application/json" id="report-data">`, parsed. */
function reportData(html: string): {
  kind: string;
  metrics: string[];
  rows: Array<{ id: string; status: Record<string, string> }>;
} {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse((match as RegExpExecArray)[1] as string);
}

/** The `<tbody>` rows of the row table. */
function tableRows(html: string): string[] {
  const body = /<table class="rows" id="row-table">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html);
  expect(body).not.toBeNull();
  return [...((body as RegExpExecArray)[1] as string).matchAll(/<tr data-index="\d+">[\s\S]*?<\/tr>/g)].map(
    (m) => m[0],
  );
}

/** The values of the id attributes of the page's tags (attribute values of escaped text hold no `<`). */
function markupIds(html: string): string[] {
  return [...html.matchAll(/<[a-z][^<>]*\sid="([^"]*)"/gi)].map((m) => m[1] as string);
}

function checkSelfContained(html: string): void {
  // one CSP meta that forbids loads, and the page's own script and style admitted by their hashes
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain('unsafe-inline');
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
  expect(scripts).toHaveLength(1);
  const hash = createHash('sha256')
    .update(scripts[0] as string)
    .digest('base64');
  expect(csp).toContain(`script-src 'sha256-${hash}'`);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
  expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  // exactly two script elements: the JSON data and the table script
  expect(openingTags(html, 'script')).toEqual([
    '<script type="application/json" id="report-data">',
    '<script>',
  ]);
  // nothing the browser would load: no src, no external href, no @import or url() in the style
  // tags with their attribute values blanked (model text may quote `src=` inside a value, escaped)
  const markup = html.replace(/"[^"]*"/g, '""');
  expect(markup).not.toMatch(/<[a-z][^<>]*\ssrc=/i);
  expect(openingTags(html, 'link')).toEqual([]);
  expect(style).not.toMatch(/@import|url\(/);
  expect(openingTags(html, 'iframe')).toEqual([]);
  // every element the report opens is closed (escaped text holds no raw `<`)
  for (const tag of ['div', 'table', 'section', 'article', 'tr', 'td', 'svg']) {
    expect(openingTags(html, tag).length, tag).toBe(html.split(`</${tag}>`).length - 1);
  }
  // ids are unique (the table script finds its elements by id)
  const ids = [...markupIds(html)];
  expect(ids.length).toBeGreaterThan(4);
  expect(new Set(ids).size).toBe(ids.length);
  expect(markup).not.toMatch(/<[a-z][^<>]*\sstyle=/i);
  expect(markup).not.toMatch(/<[a-z][^<>]*\son[a-z]+=/i);
}

describe('the report of a comparison', () => {
  let html = '';
  let comparisonRows = 0;

  beforeAll(async () => {
    const dir = await tempDir('report');
    const out = await writeReport({ input: fixture, out: path.join(dir, 'report.html') });
    html = await readFile(out, 'utf8');
    comparisonRows = (await readComparisonFile(fixture)).comparison.rows.length;
  });

  it('is one self-contained document', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    checkSelfContained(html);
  });

  it('shows the outputs with <script> and quotes as text, escaped', () => {
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(
      'Use a &quot;script&quot; element: &lt;script src=&#39;x.js&#39;&gt;&lt;/script&gt; and close it with &lt;/script&gt;',
    );
    // labels and rationales from the file too
    expect(html).toContain('baseline &lt;v1&gt;');
    expect(html).toContain('candidate &quot;v2&quot;');
    expect(html).toContain('&amp; &lt;b&gt;shorter&lt;/b&gt;');
  });

  it('embeds the row statuses as JSON that reads back', () => {
    const data = reportData(html);
    expect(data.kind).toBe('comparison');
    expect(data.metrics).toEqual(['exact_match', 'similarity', 'answer_length']);
    expect(data.rows.map((r) => r.id)).toContain('qa-003');
    expect(data.rows.find((r) => r.id === 'qa-003')?.status).toEqual({
      exact_match: 'worse',
      similarity: 'worse',
      answer_length: 'worse',
    });
    expect(data.rows.find((r) => r.id === 'qa-005')?.status.exact_match).toBe('better');
  });

  it('has a row per paired row with both outputs and a sortable header per column', () => {
    const rows = tableRows(html);
    expect(rows).toHaveLength(comparisonRows);
    const headers =
      /<table class="rows" id="row-table">\s*<thead><tr>([\s\S]*?)<\/tr><\/thead>/.exec(html)?.[1] ?? '';
    expect([...headers.matchAll(/<th scope="col" aria-sort="none"><button type="button">/g)]).toHaveLength(7);
    expect(headers).toContain('outputs A: baseline &lt;v1&gt;');
    expect(headers).toContain('answer_length (A → B)');
    // the sort key of a metric cell is B − A
    expect(rows.find((r) => r.includes('qa-002'))).toContain('data-sort="-0.88"');
  });

  it('has both charts as inline SVG with marks, and the sections', () => {
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) expect(svg).toMatch(/class="mark-(rect|rule|symbol)/);
    expect(svgs[1]).toContain('difference in pass rate');
    for (const id of ['metrics', 'regressions', 'pairwise', 'rows'])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('Regressions (9)');
    expect(html).toContain('1 row only in B (qa-009)');
  });
});

describe('a comparison with nothing to compare', () => {
  it('renders without charts or regressions, and needs `out` when given in memory', async () => {
    const { comparison } = await readComparisonFile(fixture);
    const empty = { ...comparison, metrics: [], regressions: [], rows: [], paired_rows: 0, warnings: [] };
    delete (empty as { pairwise?: unknown }).pairwise;
    await expect(writeReport({ comparison: empty })).rejects.toThrow(/`out` is required/);
    const dir = await tempDir('report-empty-cmp');
    const html = await readFile(
      await writeReport({ comparison: empty, out: path.join(dir, 'r.html') }),
      'utf8',
    );
    checkSelfContained(html);
    expect(html).not.toContain('<svg');
    expect(html).toContain('No row scored worse on B than on A.');
    expect(html).not.toContain('<section id="pairwise">');
    expect(tableRows(html)).toEqual([]);
  });

  it('draws only the numeric panel of the forest plot when no metric is pass/fail', async () => {
    const { comparison } = await readComparisonFile(fixture);
    const numeric = { ...comparison, metrics: comparison.metrics.filter((m) => m.kind === 'numeric') };
    const dir = await tempDir('report-numeric');
    const html = await readFile(
      await writeReport({ comparison: numeric, out: path.join(dir, 'r.html') }),
      'utf8',
    );
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs).toHaveLength(2);
    expect(svgs[1]).toContain('difference in mean');
    expect(svgs[1]).not.toContain('difference in pass rate');
  });
});

describe('the report of a run', () => {
  let dir = '';
  let html = '';

  beforeAll(async () => {
    dir = await tempDir('report-run');
    const { io } = captureIo();
    expect(await runCommand(basicEval, { ...noMlflowRun, out: dir }, io)).toBe(0);
    const capture = captureIo();
    expect(await reportCommand(dir, {}, capture.io)).toBe(0);
    expect(capture.stdout()).toBe(`report: ${path.join(dir, 'report.html')}\n`);
    html = await readFile(path.join(dir, 'report.html'), 'utf8');
  });

  it('is one self-contained document with a row per result and a chart', async () => {
    checkSelfContained(html);
    const results = await readResultsFolder(dir);
    expect(tableRows(html)).toHaveLength(results.rows.length);
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)];
    expect(svgs).toHaveLength(1);
    expect(html).toContain('similarity/mean&gt;=0.5');
  });

  it('lists every metric with its mean and a Wilson interval for pass rates', () => {
    const data = reportData(html);
    expect(data.metrics).toEqual(['exact_match', 'mentions_expected_fact', 'similarity', 'short_answer']);
    const row = /<tr><td>exact_match<\/td><td>pass\/fail<\/td>[\s\S]*?<\/tr>/.exec(html)?.[0] ?? '';
    // 37 of 50: the basic example's exact-match pass rate
    const [low, high] = wilsonInterval(37, 50);
    expect(row).toContain('0.74');
    expect(row).toContain(`[${Number(low.toPrecision(4))}, ${Number(high.toPrecision(4))}]`);
    expect(row).toContain('Wilson');
  });
});

describe('reading a results folder', () => {
  it('keeps the first result of a row id, skips a cut-off last line, and reads errors', async () => {
    const dir = await tempDir('report-read');
    const line = (id: string, extra: object) =>
      JSON.stringify({
        id,
        index: 0,
        inputs: { q: id },
        outputs: 'x',
        expectations: {},
        feedbacks: [],
        ...extra,
      });
    await writeFile(
      path.join(dir, 'results.jsonl'),
      [
        line('r1', { feedbacks: [{ name: 'ok', value: true }] }),
        line('r2', {
          outputs: null,
          error: { code: 'provider_error', message: 'HTTP 500' },
        }),
        line('r3', {
          feedbacks: [{ name: 'ok', value: null, error: { code: 'judge', message: 'bad JSON' } }],
        }),
        line('r1', { feedbacks: [{ name: 'ok', value: false }] }),
        '{"id":"r4","inp',
      ].join('\n'),
    );
    const input = await readResultsFolder(dir);
    expect(input.rows.map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
    expect(input.rows[1]?.error).toBe('HTTP 500');
    expect(input.rows[2]?.feedbacks[0]?.error).toBe('bad JSON');
    expect(input.summary).toBeUndefined();
    expect(runMetrics(input.rows)).toEqual([
      {
        name: 'ok',
        kind: 'pass_fail',
        n: 1,
        errors: 1,
        mean: 1,
        ci: wilsonInterval(1, 1),
        ciMethod: 'wilson',
      },
    ]);
  });

  it('names the file and line of a row that is not JSON in the middle of the file', async () => {
    const dir = await tempDir('report-bad');
    await writeFile(
      path.join(dir, 'results.jsonl'),
      '{"id":"a"\n{"id":"b","inputs":{},"outputs":1,"expectations":{}}\n',
    );
    await expect(readResultsFolder(dir)).rejects.toThrow(/results\.jsonl:line 1: is not JSON/);
  });

  it('refuses a folder that holds neither results nor a comparison, with exit code 2', async () => {
    const dir = await tempDir('report-empty');
    const capture = captureIo();
    expect(await reportCommand(dir, {}, capture.io)).toBe(2);
    expect(capture.stderr()).toContain('holds neither results.jsonl');
  });

  it('refuses a JSON file that is not a comparison, naming the field', async () => {
    const dir = await tempDir('report-notcmp');
    const file = path.join(dir, 'comparison.json');
    await writeFile(file, JSON.stringify({ schema: 'judgeflow.comparison/1', created_at: 'now' }));
    await expect(readComparisonFile(file)).rejects.toThrow(/field "a": not a judgeflow comparison/);
  });
});

describe('statistics the report computes', () => {
  it('Wilson interval equals statsmodels proportion_confint(method="wilson")', () => {
    // statsmodels 0.15.0: proportion_confint(7, 10, method="wilson"), and (37, 50)
    const [low, high] = wilsonInterval(7, 10);
    expect(low).toBeCloseTo(0.39677814746114537, 12);
    expect(high).toBeCloseTo(0.8922087325936989, 12);
    const [low37, high37] = wilsonInterval(37, 50);
    expect(low37).toBeCloseTo(0.6044684273515116, 12);
    expect(high37).toBeCloseTo(0.841284725064476, 12);
    expect(wilsonInterval(0, 0)).toEqual([0, 0]);
    expect(wilsonInterval(0, 5)[0]).toBe(0);
  });

  it('pairStatus respects the direction of a metric', () => {
    expect(pairStatus(true, false, true)).toBe('worse');
    expect(pairStatus('no', 'yes', true)).toBe('better');
    expect(pairStatus(3, 5, false)).toBe('worse');
    expect(pairStatus(2, 2, false)).toBe('same');
    expect(pairStatus(undefined, 1, true)).toBe('missing');
  });
});
