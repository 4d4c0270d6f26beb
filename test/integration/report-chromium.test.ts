import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Comparison } from '../../src/app/report/comparison-types.js';
import { logReportArtifact } from '../../src/app/report/mlflow-artifact.js';
import { readComparisonFile } from '../../src/app/report/read-input.js';
import { writeReport } from '../../src/app/report/write-report.js';
import { reportCommand } from '../../src/cli/commands/report.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { browserAvailable, launchChromium } from '../helpers/browser.js';
import { captureIo, noMlflowRun, repoRoot, tempDir } from '../helpers/cli.js';

// Opens judgeflow's HTML reports (a comparison and a real run's results folder) in Debian's chromium,
// headless, and uses them as a person would: the charts are drawn, a header click sorts, the filters
// hide rows, a model output holding <script> shows as text and runs nothing, and the page loads
// nothing but itself. Without chromium the test is skipped, unless JUDGEFLOW_REQUIRE_BROWSER=1 (CI),
// where a missing browser fails it.

const haveBrowser = browserAvailable('the report browser test');

const fixture = path.join(repoRoot, 'test/fixtures/report/comparison.json');
const basicEval = path.join(repoRoot, 'examples/basic/eval.yaml');

let browser: Browser | undefined;
let comparison: Comparison;
let comparisonReport = '';
let runDir = '';
let runReport = '';

/** A page with every dialog, console error, page error and request it sees recorded. */
async function openReport(file: string): Promise<{
  page: Page;
  dialogs: string[];
  errors: string[];
  requests: string[];
}> {
  const page = await (browser as Browser).newPage({ viewport: { width: 1600, height: 1000 } });
  const dialogs: string[] = [];
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForLoadState('load');
  return { page, dialogs, errors, requests };
}

/** The text a person sees in an element: Playwright's innerText, the rendered text. */
function shownText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the test is about
  return locator.innerText();
}

/** The row ids of the table's visible rows, top to bottom. */
async function visibleRowIds(page: Page): Promise<string[]> {
  return page.locator('#row-table tbody tr:visible td:first-child').allTextContents();
}

async function sortBy(page: Page, header: string): Promise<void> {
  await page.locator('#row-table thead').getByRole('button', { name: header, exact: true }).click();
}

beforeAll(async () => {
  if (!haveBrowser) return;
  const dir = await tempDir('report-browser');
  comparison = (await readComparisonFile(fixture)).comparison;
  comparisonReport = await writeReport({ comparison, out: path.join(dir, 'comparison.html') });
  runDir = path.join(dir, 'run');
  expect(await runCommand(basicEval, { ...noMlflowRun, out: runDir }, captureIo().io)).toBe(0);
  runReport = await writeReport({ resultsDir: runDir });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!haveBrowser)('the HTML report in Chromium', () => {
  it('comparison: draws both charts, sorts, filters, and shows <script> outputs as text', async () => {
    const { page, dialogs, errors, requests } = await openReport(comparisonReport);

    // the charts: bars for both sides of every metric, a point per metric in the forest plot
    const charts = page.locator('figure.chart svg');
    await expect.poll(() => charts.count()).toBe(2);
    expect(await charts.nth(0).locator('g.mark-rect.role-mark path').count()).toBe(
      comparison.metrics.length * 2,
    );
    expect(await charts.nth(1).locator('g.mark-symbol.role-mark path').count()).toBe(
      comparison.metrics.length,
    );
    expect((await charts.nth(0).boundingBox())?.width ?? 0).toBeGreaterThan(200);

    // every paired row, in the file's order
    const ids = comparison.rows.map((row) => row.row_id);
    expect(await visibleRowIds(page)).toEqual(ids);

    // the outputs that hold markup are shown as the text they are
    const scriptRow = page.locator('#row-table tbody tr', { hasText: 'qa-003' });
    expect(await shownText(scriptRow.locator('td').nth(2))).toBe('<script>alert(1)</script>');
    expect(await shownText(scriptRow.locator('td').nth(3))).toBe(
      `Use a "script" element: <script src='x.js'></script> and close it with </script>`,
    );
    await expect.poll(() => page.locator('.regression', { hasText: 'qa-003' }).count()).toBe(3);
    expect(await page.locator('body script').count()).toBe(2);
    expect(await shownText(page.locator('h1'))).toBe('judgeflow comparison: baseline <v1> vs candidate "v2"');

    // sorting by a metric column orders rows by B − A, then the other way
    const diff = (id: string) => {
      const row = comparison.rows.find((r) => r.row_id === id);
      return Number(row?.b.values.answer_length) - Number(row?.a.values.answer_length);
    };
    const byDiff = [...ids].sort((x, y) => diff(x) - diff(y) || ids.indexOf(x) - ids.indexOf(y));
    await sortBy(page, 'answer_length (A → B)');
    expect(await visibleRowIds(page)).toEqual(byDiff);
    await sortBy(page, 'answer_length (A → B)');
    const descending = [...ids].sort((x, y) => diff(y) - diff(x) || ids.indexOf(x) - ids.indexOf(y));
    expect(await visibleRowIds(page)).toEqual(descending);
    expect(await shownText(page.locator('#row-table thead th[aria-sort=descending]'))).toContain(
      'answer_length',
    );
    await sortBy(page, 'row');
    expect(await visibleRowIds(page)).toEqual([...ids].sort());

    // the text filter hides rows that do not contain the text
    await page.locator('#filter-text').fill('jupiter');
    expect(await visibleRowIds(page)).toEqual(['qa-007']);
    expect(await shownText(page.locator('#rows-shown'))).toBe('1');
    await page.locator('#filter-text').fill('');
    expect(await visibleRowIds(page)).toHaveLength(ids.length);

    // metric and status: rows where B lost exact_match, then any metric B improved
    await page.locator('#filter-metric').selectOption('exact_match');
    await page.locator('#filter-status').selectOption('worse');
    const lostExactMatch = comparison.rows
      .filter((row) => row.a.values.exact_match === true && row.b.values.exact_match === false)
      .map((row) => row.row_id)
      .sort();
    expect(await visibleRowIds(page)).toEqual(lostExactMatch);
    await page.locator('#filter-metric').selectOption('');
    await page.locator('#filter-status').selectOption('better');
    expect(await visibleRowIds(page)).toEqual(['qa-005']);

    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(comparisonReport).href]);
    await page.close();
  });

  it("one run: draws the means chart and filters a real run's rows by pass/fail", async () => {
    const { page, dialogs, errors, requests } = await openReport(runReport);
    const results = (await readFile(path.join(runDir, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; feedbacks: Array<{ name: string; value: unknown }> });
    const value = (row: (typeof results)[number], name: string) =>
      row.feedbacks.find((f) => f.name === name)?.value;

    const chart = page.locator('figure.chart svg');
    expect(await chart.count()).toBe(1);
    // one bar per metric (exact_match, mentions_expected_fact, similarity, short_answer)
    expect(await chart.locator('g.mark-rect.role-mark path').count()).toBe(4);
    expect(await visibleRowIds(page)).toEqual(results.map((r) => r.id));

    await page.locator('#filter-metric').selectOption('exact_match');
    await page.locator('#filter-status').selectOption('fail');
    const failed = results.filter((r) => value(r, 'exact_match') === false).map((r) => r.id);
    expect(failed.length).toBeGreaterThan(0);
    expect(await visibleRowIds(page)).toEqual(failed);
    expect(await shownText(page.locator('#rows-shown'))).toBe(String(failed.length));
    await page.locator('#filter-status').selectOption('');

    // lowest similarity first
    await sortBy(page, 'similarity');
    const ids = results.map((r) => r.id);
    const similarity = (id: string) =>
      Number(value(results[ids.indexOf(id)] as (typeof results)[number], 'similarity'));
    const expected = [...ids].sort(
      (x, y) => similarity(x) - similarity(y) || ids.indexOf(x) - ids.indexOf(y),
    );
    expect(await visibleRowIds(page)).toEqual(expected);

    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(runReport).href]);
    await page.close();
  });
});

const mlflowUri = inject('mlflowUri');

describe.skipIf(mlflowUri === undefined)('the report as an MLflow artifact', () => {
  it('logReportArtifact uploads the file to the run, and it downloads unchanged', async () => {
    const dir = await tempDir('report-artifact');
    const file = await writeReport({ input: fixture, out: path.join(dir, 'report.html') });
    const client = new MlflowClient({ trackingUri: mlflowUri });
    try {
      const { experiment } = await client.getOrCreateExperiment(`report-artifact-${path.basename(dir)}`);
      const run = await client.createRun({
        experimentId: experiment.experiment_id,
        runName: 'report-artifact',
        startTime: Date.now(),
      });
      const artifactUri = run.info.artifact_uri as string;
      expect(await logReportArtifact(client, run.info.run_id, file)).toBe('report.html');
      const listed = await client.listArtifacts({ artifactUri });
      expect(listed.map((entry) => entry.path)).toContain('report.html');
      expect(await client.downloadArtifact({ artifactUri, path: 'report.html' })).toBe(
        await readFile(file, 'utf8'),
      );
    } finally {
      await client.close();
    }
  });

  it('report --mlflow-run with an unknown run id writes the file and exits 2 naming the run', async () => {
    const dir = await tempDir('report-unknown-run');
    const out = path.join(dir, 'report.html');
    const capture = captureIo();
    const code = await reportCommand(
      fixture,
      { out, mlflowRun: '0123456789abcdef0123456789abcdef', trackingUri: mlflowUri },
      capture.io,
    );
    expect(code).toBe(2);
    expect(capture.stderr()).toContain('MLflow run 0123456789abcdef0123456789abcdef: no such run');
    expect(existsSync(out)).toBe(true);
  });
});
