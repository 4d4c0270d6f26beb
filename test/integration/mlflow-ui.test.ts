import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { createMlflowSink } from '../../src/sinks/mlflow/sink.js';
import { browserAvailable, launchChromium } from '../helpers/browser.js';
import { referenceFeedbacks, referenceRows, rowResult, startInfo, summaryFor } from './mlflow-fixtures.js';

// Opens a judgeflow run in the MLflow UI (Debian's chromium, headless) and finds its evaluation rows
// and assessment values on the page. Without chromium the test is skipped, unless
// JUDGEFLOW_REQUIRE_BROWSER=1 (CI), where a missing browser fails it.

const haveBrowser = browserAvailable('the MLflow UI test');

const uri = inject('mlflowUri');
let browser: Browser | undefined;
let url = '';
let runName = '';

beforeAll(async () => {
  if (!haveBrowser) return;
  const client = new MlflowClient({ trackingUri: uri });
  const rows = referenceRows().map((row, i) => rowResult(row, i, referenceFeedbacks(row)));
  runName = `ui-${randomUUID().slice(0, 8)}`;
  const info = await startInfo({ experiment: `ui-${randomUUID()}`, rows, runName });
  const sink = createMlflowSink({ client });
  await sink.start(info);
  for (const row of rows) sink.write(row);
  const report = await sink.finish(summaryFor(rows));
  await client.close();
  url = report.summaryPatch?.mlflow?.url ?? '';
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!haveBrowser)('MLflow UI', () => {
  it("shows the run's evaluation rows with their inputs, outputs and assessment values", async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1800, height: 1100 } });
    await page.goto(url);
    // The URL selects the run in the "Evaluation runs" tab (the link Python's evaluate prints too);
    // opening it shows one row per trace.
    await page.getByText(runName).first().waitFor({ timeout: 120_000 });
    await page.getByText(runName).first().click();
    await page.getByText('What is the capital of France?').first().waitFor({ timeout: 120_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a user sees
    const text = await page.locator('body').innerText();
    for (const expected of [
      '"question": "What is the capital of France?"',
      '"question": "2 + 2 = ?"',
      '"Blue, mostly"',
      // assessment columns and their values (answer_length 12, a failed scorer as Error)
      'exact_match',
      'answer_length',
      'always_fails',
      '12',
      'Error',
      // expectations
      'Expected facts',
    ]) {
      expect(text, expected).toContain(expected);
    }
    expect(text).toContain('3 of 3');
    await page.close();
  });
});
