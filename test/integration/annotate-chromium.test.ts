import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AnnotateSession, startAnnotation } from '../../src/app/annotate/annotate-run.js';
import { annotateCommand } from '../../src/cli/commands/annotate.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { browserAvailable, launchChromium } from '../helpers/browser.js';
import { captureIo, noMlflowRun, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// `judgeflow annotate` on a real run logged to the real MLflow server (three rows, code scorers), its
// page opened in Debian's chromium, headless, and used with the keyboard as a reviewer would: the
// judges' verdicts are absent until the row is answered, two rows get labels (one with a rationale,
// one with a corrected expected answer), and Python's `mlflow.search_traces` then shows the HUMAN
// assessments. A row whose output is `<script>alert(1)</script>` shows as that text and runs nothing.
// Without chromium the test is skipped, unless JUDGEFLOW_REQUIRE_BROWSER=1 (CI).

const exec = promisify(execFile);
const haveBrowser = browserAvailable('the annotate browser test');

const uri = inject('mlflowUri');
const JUDGE_RATIONALE = 'outputs match the expected response';
const rows = [
  {
    id: 'qa-001',
    inputs: { question: 'What is the capital of France?' },
    outputs: 'Paris',
    expectations: { expected_response: 'Paris', expected_facts: ['Paris'] },
  },
  {
    id: 'qa-002',
    inputs: { question: 'How many continents are there?' },
    outputs: 'Six',
    expectations: { expected_response: '7', expected_facts: ['7'] },
  },
  {
    id: 'qa-003',
    inputs: { question: 'Write some HTML' },
    outputs: '<script>alert(1)</script>',
    expectations: { expected_response: 'Paris', expected_facts: ['Paris'] },
  },
];

let dir = '';
let runId = '';
let experimentId = '';
let client: MlflowClient;
let session: AnnotateSession | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!haveBrowser) return;
  dir = await tempDir('annotate-it');
  await writeFile(path.join(dir, 'qa.jsonl'), `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  await writeFile(
    path.join(dir, 'eval.yaml'),
    [
      'run_name: annotate-it',
      'dataset: { path: qa.jsonl, name: annotate-qa }',
      'scorers:',
      '  - exact_match',
      '  - { type: contains, name: mentions_expected_fact, expectation_key: expected_facts, mode: any }',
      '  - { type: levenshtein, name: similarity }',
    ].join('\n'),
  );
  const printed = captureIo({ cwd: dir });
  const out = path.join(dir, 'out');
  const code = await runCommand(
    path.join(dir, 'eval.yaml'),
    { ...noMlflowRun, mlflow: true, trackingUri: uri, experiment: `annotate-it-${path.basename(dir)}`, out },
    printed.io,
  );
  expect(code, printed.stderr()).toBe(0);
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
    mlflow: { run_id: string; experiment_id: string };
  };
  runId = summary.mlflow.run_id;
  experimentId = summary.mlflow.experiment_id;
  client = new MlflowClient({ trackingUri: uri });
  session = await startAnnotation({ client, runId, reviewer: 'alice' });
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await session?.close();
  await client?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** The text a person sees in an element: Playwright's innerText, the rendered text. */
function shownText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the test is about
  return locator.innerText();
}

async function waitForStatus(page: Page, text: string): Promise<void> {
  await expect.poll(() => shownText(page.locator('#status')), { timeout: 20_000 }).toContain(text);
}

async function currentCriterion(page: Page): Promise<string | null> {
  return page.locator('#criteria li[aria-current="true"]').getAttribute('data-criterion');
}

describe.skipIf(!haveBrowser)('judgeflow annotate in Chromium', () => {
  it('hides the judges until a row is answered, writes each label to MLflow as given, and shows markup as text', async () => {
    const s = session as AnnotateSession;
    // the default criteria: the pass/fail scorers; the similarity float has no scale to answer on
    expect(s.criteria.map((c) => c.name)).toEqual(['exact_match', 'mentions_expected_fact']);
    expect(s.skipped).toEqual(['similarity']);
    const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1000 } });
    const dialogs: string[] = [];
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(s.url);
    await expect.poll(() => shownText(page.locator('#row-title'))).toContain('qa-001');
    expect(await shownText(page.locator('#progress'))).toBe('labelled 0/3');
    expect(await shownText(page.locator('#outputs'))).toBe('Paris');

    // before answering: no verdict, no rationale of a judge anywhere on the page
    expect(await page.locator('#judges').isVisible()).toBe(false);
    expect(await shownText(page.locator('body'))).not.toContain(JUDGE_RATIONALE);
    expect(await page.content()).not.toContain(JUDGE_RATIONALE);

    // row 1: exact_match yes; a rationale typed for mentions_expected_fact before answering it, then yes
    expect(await currentCriterion(page)).toBe('exact_match');
    await page.keyboard.press('y');
    await waitForStatus(page, 'saved exact_match');
    expect(await currentCriterion(page)).toBe('mentions_expected_fact');
    expect(await page.locator('#judges').isVisible()).toBe(false);
    await page.keyboard.press('r');
    await expect.poll(() => page.locator('#editor-text').isVisible()).toBe(true);
    await page.keyboard.type('Paris is named <b>exactly</b>');
    await page.keyboard.press('Enter');
    await page.keyboard.press('y');
    await waitForStatus(page, 'row labelled');
    await expect.poll(() => page.locator('#judges').isVisible()).toBe(true);
    expect(await page.locator('#judges-hidden').isVisible()).toBe(false);
    expect(await shownText(page.locator('#judges-body'))).toContain(JUDGE_RATIONALE);
    expect(await shownText(page.locator('#criteria'))).toContain('Paris is named <b>exactly</b>');
    expect(await shownText(page.locator('#progress'))).toBe('labelled 1/3');

    // row 2: Enter moves on; the judges are hidden again
    await page.keyboard.press('Enter');
    await expect.poll(() => shownText(page.locator('#row-title'))).toContain('qa-002');
    expect(await page.locator('#judges').isVisible()).toBe(false);
    await page.keyboard.press('n');
    await waitForStatus(page, 'saved exact_match');
    // back to exact_match with Shift+Tab and give the answer a rationale (written at once)
    await page.keyboard.press('Shift+Tab');
    expect(await currentCriterion(page)).toBe('exact_match');
    await page.keyboard.press('r');
    await page.keyboard.type('Six is not seven');
    await page.keyboard.press('Enter');
    await waitForStatus(page, 'saved exact_match');
    await expect.poll(() => shownText(page.locator('#criteria'))).toContain('Six is not seven');
    // on to the other criterion: correct the expected answer, then answer no
    await page.keyboard.press('Tab');
    expect(await currentCriterion(page)).toBe('mentions_expected_fact');
    await page.keyboard.press('e');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('Seven (7)');
    await page.keyboard.press('Enter');
    await page.keyboard.press('n');
    await waitForStatus(page, 'row labelled');
    await expect.poll(() => page.locator('#judges').isVisible()).toBe(true);
    await expect.poll(() => shownText(page.locator('#expectations'))).toContain('Seven (7)');

    // row 3 (j): the output that is markup shows as text; nothing ran
    await page.keyboard.press('j');
    await expect.poll(() => shownText(page.locator('#row-title'))).toContain('qa-003');
    expect(await shownText(page.locator('#outputs'))).toBe('<script>alert(1)</script>');
    expect(await page.locator('#outputs script').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    expect(dialogs).toEqual([]);

    // k goes back; the help opens with ?
    await page.keyboard.press('k');
    await expect.poll(() => shownText(page.locator('#row-title'))).toContain('qa-002');
    await page.keyboard.press('?');
    expect(await page.locator('#help').isVisible()).toBe(true);
    await page.keyboard.press('Escape');

    // a fresh page shows what this reviewer did: two rows marked, their answers shown
    await page.reload();
    await expect.poll(() => shownText(page.locator('#row-title'))).toContain('qa-003');
    expect(await shownText(page.locator('#progress'))).toBe('labelled 2/3');
    expect(await page.locator('#row-nav button.done').allTextContents()).toEqual(['qa-001', 'qa-002']);
    await page.locator('#row-nav button', { hasText: 'qa-001' }).click();
    await expect.poll(() => shownText(page.locator('#row-title'))).toContain('qa-001 (1 of 3) ✓ labelled');
    expect(await shownText(page.locator('#criteria'))).toContain('Paris is named <b>exactly</b>');
    expect(await page.locator('#judges').isVisible()).toBe(true);

    const origin = new URL(s.url).origin;
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();

    // what landed in MLflow, as Python reads it
    const python = await requirePythonEnv(testHome(), 'mlflow');
    const { stdout } = await exec(
      python,
      [
        '-c',
        [
          'import json, sys, mlflow',
          'mlflow.set_tracking_uri(sys.argv[1])',
          'out = []',
          'for t in mlflow.search_traces(locations=[sys.argv[3]], run_id=sys.argv[2], return_type="list"):',
          '    for a in t.info.assessments:',
          '        out.append({"row": t.info.tags.get("mlflow.eval.requestId"), "kind": type(a).__name__, "name": a.name,',
          '                    "type": a.source.source_type, "source": a.source.source_id, "value": a.value,',
          '                    "rationale": a.rationale, "valid": a.valid, "overrides": a.overrides, "id": a.assessment_id})',
          'print(json.dumps(out, default=str))',
        ].join('\n'),
        uri,
        runId,
        experimentId,
      ],
      { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } },
    );
    type Read = {
      row: string;
      kind: string;
      name: string;
      type: string;
      source: string;
      value: unknown;
      rationale: string | null;
      valid: boolean | null;
      overrides: string | null;
      id: string;
    };
    const assessments = JSON.parse(stdout) as Read[];
    const alice = assessments
      .filter((a) => a.source === 'alice')
      .map(({ row, kind, name, type, value, rationale }) => ({ row, kind, name, type, value, rationale }))
      .sort((a, b) => `${a.row}${a.kind}${a.name}`.localeCompare(`${b.row}${b.kind}${b.name}`));
    expect(alice).toEqual([
      { row: 'qa-001', kind: 'Feedback', name: 'exact_match', type: 'HUMAN', value: true, rationale: null },
      {
        row: 'qa-001',
        kind: 'Feedback',
        name: 'mentions_expected_fact',
        type: 'HUMAN',
        value: true,
        rationale: 'Paris is named <b>exactly</b>',
      },
      {
        row: 'qa-002',
        kind: 'Expectation',
        name: 'expected_response',
        type: 'HUMAN',
        value: 'Seven (7)',
        rationale: null,
      },
      {
        row: 'qa-002',
        kind: 'Feedback',
        name: 'exact_match',
        type: 'HUMAN',
        value: false,
        rationale: 'Six is not seven',
      },
      {
        row: 'qa-002',
        kind: 'Feedback',
        name: 'mentions_expected_fact',
        type: 'HUMAN',
        value: false,
        rationale: null,
      },
    ]);
    // each human label overrides the scorer's feedback it answers, which MLflow marks invalid
    for (const label of assessments.filter((a) => a.source === 'alice' && a.kind === 'Feedback')) {
      const judged = assessments.find((a) => a.id === label.overrides);
      expect(judged, `${label.row} ${label.name}`).toMatchObject({
        row: label.row,
        name: label.name,
        type: 'CODE',
        valid: false,
      });
    }
    expect(
      assessments.filter((a) => a.row === 'qa-003' && a.type === 'HUMAN' && a.kind === 'Feedback'),
    ).toEqual([]);
  }, 180_000);

  it('judgeflow annotate without --reviewer: the page asks, a second reviewer labels the same row', async () => {
    const stop = new AbortController();
    const printed = captureIo();
    const exit = annotateCommand(
      runId,
      { trackingUri: uri, criteria: ['exact_match'] },
      printed.io,
      stop.signal,
    );
    await expect
      .poll(() => printed.stdout(), { timeout: 30_000 })
      .toMatch(/annotate: http:\/\/127\.0\.0\.1:\d+\//);
    const url = /annotate: (\S+)/.exec(printed.stdout())?.[1] as string;
    expect(printed.stderr()).toContain('labelling 3 rows');
    const page = await (browser as Browser).newPage();
    try {
      await page.goto(url);
      await expect.poll(() => page.locator('#reviewer-input').isVisible()).toBe(true);
      expect(await page.locator('#main').isVisible()).toBe(false);
      await page.locator('#reviewer-input').fill('bob');
      await page.keyboard.press('Enter');
      await expect.poll(() => shownText(page.locator('#row-title'))).toContain('qa-001');
      expect(await shownText(page.locator('#reviewer-shown'))).toBe('reviewer: bob');
      // alice's labels are not bob's: nothing answered, the judges and alice hidden
      expect(await shownText(page.locator('#progress'))).toBe('labelled 0/3');
      expect(await page.locator('#judges').isVisible()).toBe(false);
      expect(await page.content()).not.toContain('Paris is named');
      await page.keyboard.press('n');
      await waitForStatus(page, 'row labelled');
      await expect.poll(() => shownText(page.locator('#others'))).toContain('alice');
      expect(await shownText(page.locator('#others'))).toContain('Paris is named <b>exactly</b>');
    } finally {
      await page.close();
      stop.abort();
    }
    expect(await exit).toBe(0);
    const trace = (await client.getTraceInfo(
      (
        await client.searchTraces({ experimentIds: [experimentId], filter: `attributes.run_id = '${runId}'` })
      ).traces.find((t) => t.tags?.['mlflow.eval.requestId'] === 'qa-001')?.trace_id as string,
    ))!;
    const human = (trace.assessments ?? [])
      .filter((a) => a.source.source_type === 'HUMAN' && a.assessment_name === 'exact_match')
      .map((a) => [a.source.source_id, a.feedback?.value]);
    expect(human.sort()).toEqual([
      ['alice', true],
      ['bob', false],
    ]);
  });
});
