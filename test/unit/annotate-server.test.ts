import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Criterion,
  chooseCriteria,
  inferCriteria,
  labelValue,
} from '../../src/app/annotate/criteria.js';
import type { AnnotationRow, RowDetail } from '../../src/app/annotate/rows.js';
import {
  type AnnotateServer,
  type AnnotationLabel,
  type AnnotationSource,
  startAnnotateServer,
} from '../../src/app/annotate/server.js';
import type { Assessment } from '../../src/sinks/mlflow/wire.js';

// The annotation server's API without MLflow: the rows come from an in-memory source that records
// every label written. What is checked is what a browser cannot be trusted to enforce: the session
// token, same-origin JSON POSTs, the Host, a label's value on its criterion's scale, and that the
// judges' verdicts stay on the server until the reviewer has answered the row.

const rows: AnnotationRow[] = [
  { traceId: 'tr-aaa', rowId: 'qa-001' },
  { traceId: 'tr-bbb', rowId: 'qa-002' },
];

function judge(traceId: string, name: string, value: unknown, rationale: string): Assessment {
  return {
    assessment_id: `a-${traceId}-${name}`,
    assessment_name: name,
    trace_id: traceId,
    source: { source_type: 'LLM_JUDGE', source_id: 'openai:/gpt-4.1-mini' },
    feedback: { value },
    rationale,
  };
}

const criteria: Criterion[] = [
  { name: 'correctness', scale: { kind: 'pass_fail', form: 'yes_no' } },
  { name: 'exact_match', scale: { kind: 'pass_fail', form: 'boolean' } },
  { name: 'adequacy', scale: { kind: 'rubric', min: 1, max: 5 } },
];

function fakeSource(): AnnotationSource & { written: AnnotationLabel[] } {
  const written: AnnotationLabel[] = [];
  const human: Record<string, Assessment[]> = { 'tr-aaa': [], 'tr-bbb': [] };
  return {
    runId: 'run1',
    runName: 'qa <script>alert("name")</script>',
    rows,
    initialAnswers: new Map(),
    written,
    async readRow(row: AnnotationRow): Promise<RowDetail> {
      return {
        traceId: row.traceId,
        rowId: row.rowId,
        inputs: { question: 'q?' },
        outputs: '<script>alert(1)</script>',
        expectations: { expected_response: 'Paris' },
        assessments: [
          judge(row.traceId, 'correctness', 'no', 'the answer is markup, not Paris'),
          judge(row.traceId, 'adequacy', 2, 'poor'),
          ...(human[row.traceId] ?? []),
        ],
      };
    },
    async writeLabel(label: AnnotationLabel) {
      written.push(label);
      const id = `a-human-${written.length}`;
      human[label.traceId]?.push({
        assessment_id: id,
        assessment_name: label.name,
        trace_id: label.traceId,
        source: { source_type: 'HUMAN', source_id: label.reviewer },
        feedback: { value: label.value },
        create_time: new Date(Date.now() + written.length).toISOString(),
        ...(label.rationale !== undefined ? { rationale: label.rationale } : {}),
      });
      return { assessmentId: id };
    },
  };
}

let server: AnnotateServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: { reviewer?: string } = {}) {
  const source = fakeSource();
  server = await startAnnotateServer({ source, criteria, token: 'tok-123', ...options });
  const origin = server.url.replace(/\/$/, '');
  const call = (
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${origin}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'x-judgeflow-token': 'tok-123',
        ...(init.method === 'POST' ? { 'content-type': 'application/json', origin } : {}),
        ...(init.headers ?? {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  return { source, origin, call };
}

describe('the annotation server', () => {
  it('serves one page under a nonce CSP, with the token in escaped JSON and the run name escaped', async () => {
    const { origin } = await start();
    const response = await fetch(`${origin}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    const html = await response.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain('"token":"tok-123"');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
    // the run name in the boot JSON cannot end the script element
    expect(html).toContain('\\u003c/script\\u003e');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('refuses API calls without the session token and pages asked for under another Host', async () => {
    const { origin, call } = await start({ reviewer: 'ann' });
    expect((await fetch(`${origin}/api/state?reviewer=ann`)).status).toBe(403);
    expect((await call('/api/state', { headers: { 'x-judgeflow-token': 'tok-124' } })).status).toBe(403);
    expect((await call('/api/state')).status).toBe(200);
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(origin);
      const req = request(
        { host: url.hostname, port: url.port, path: '/', headers: { host: `evil.example:${url.port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('takes a label only as a same-origin JSON POST', async () => {
    const { source, call } = await start({ reviewer: 'ann' });
    const label = { traceId: 'tr-aaa', name: 'correctness', value: 'yes' };
    expect(
      (await call('/api/label', { method: 'POST', body: label, headers: { origin: 'http://evil.example' } }))
        .status,
    ).toBe(403);
    expect(
      (await call('/api/label', { method: 'POST', body: label, headers: { 'content-type': 'text/plain' } }))
        .status,
    ).toBe(415);
    expect(
      (await call('/api/label', { method: 'POST', body: label, headers: { 'sec-fetch-site': 'cross-site' } }))
        .status,
    ).toBe(403);
    expect(source.written).toEqual([]);
    const ok = await call('/api/label', { method: 'POST', body: label });
    expect(ok.status).toBe(200);
    expect(source.written).toEqual([
      { traceId: 'tr-aaa', name: 'correctness', value: 'yes', reviewer: 'ann' },
    ]);
  });

  it('validates a label against the row set, the criteria and the scale, and writes nothing when bad', async () => {
    const { source, call } = await start({ reviewer: 'ann' });
    const post = async (body: unknown) => {
      const response = await call('/api/label', { method: 'POST', body });
      return { status: response.status, body: (await response.json()) as { error?: string } };
    };
    expect(await post({ traceId: 'tr-zzz', name: 'correctness', value: 'yes' })).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('not a row of this run') },
    });
    expect((await post({ traceId: 'tr-aaa', name: 'fluency', value: 'yes' })).status).toBe(400);
    expect((await post({ traceId: 'tr-aaa', name: 'adequacy', value: 6 })).body.error).toContain('1 to 5');
    expect((await post({ traceId: 'tr-aaa', name: 'adequacy', value: 2.5 })).status).toBe(400);
    expect((await post({ traceId: 'tr-aaa', name: 'correctness', value: 'maybe' })).status).toBe(400);
    expect((await post({ traceId: 'tr-aaa', name: 'correctness', value: 'yes', extra: 1 })).status).toBe(400);
    expect(
      (await post({ traceId: 'tr-aaa', name: 'correctness', value: 'yes', reviewer: 'bob' })).status,
    ).toBe(403);
    expect(source.written).toEqual([]);

    // pass/fail is written in the judges' form: "yes"/"no" or true/false
    expect(
      (await post({ traceId: 'tr-aaa', name: 'correctness', value: true, rationale: '  right  ' })).status,
    ).toBe(200);
    expect((await post({ traceId: 'tr-aaa', name: 'exact_match', value: 'no' })).status).toBe(200);
    expect(
      (
        await post({
          traceId: 'tr-aaa',
          name: 'adequacy',
          value: 4,
          expectation: { name: 'expected_response', value: 'Paris, France' },
        })
      ).status,
    ).toBe(200);
    expect(source.written).toEqual([
      { traceId: 'tr-aaa', name: 'correctness', value: 'yes', reviewer: 'ann', rationale: 'right' },
      { traceId: 'tr-aaa', name: 'exact_match', value: false, reviewer: 'ann' },
      {
        traceId: 'tr-aaa',
        name: 'adequacy',
        value: 4,
        reviewer: 'ann',
        expectation: { name: 'expected_response', value: 'Paris, France' },
      },
    ]);
  });

  it("keeps the judges' verdicts on the server until the reviewer has answered every criterion", async () => {
    const { call } = await start();
    type RowView = {
      complete: boolean;
      judges: unknown[] | null;
      others: unknown[] | null;
      outputs: unknown;
      answers: Record<string, unknown>;
      progress: { labelled: number; total: number };
    };
    expect((await call('/api/row?index=0')).status).toBe(400); // no reviewer id: the page asks first
    const before = (await (await call('/api/row?index=0&reviewer=ann')).json()) as RowView;
    expect(before).toMatchObject({
      complete: false,
      judges: null,
      others: null,
      outputs: '<script>alert(1)</script>',
    });
    expect(JSON.stringify(before)).not.toContain('the answer is markup');
    const label = (name: string, value: unknown, reviewer = 'ann') =>
      call('/api/label', { method: 'POST', body: { traceId: 'tr-aaa', name, value, reviewer } });
    await label('correctness', 'yes');
    await label('exact_match', true);
    let out = (await (await label('adequacy', 3)).json()) as { row: RowView };
    expect(out.row.complete).toBe(true);
    expect(out.row.judges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'correctness',
          value: 'no',
          rationale: 'the answer is markup, not Paris',
        }),
      ]),
    );
    expect(out.row.progress).toEqual({ labelled: 1, total: 2 });
    // a second reviewer sees nothing of ann's or the judges' until done, then sees ann's labels
    const bob = (await (await call('/api/row?index=0&reviewer=bob')).json()) as RowView;
    expect(bob).toMatchObject({ complete: false, judges: null, others: null, answers: {} });
    await label('correctness', 'no', 'bob');
    await label('exact_match', false, 'bob');
    out = (await (await label('adequacy', 1, 'bob')).json()) as { row: RowView };
    expect(out.row.others).toEqual(
      expect.arrayContaining([expect.objectContaining({ reviewer: 'ann', name: 'adequacy', value: 3 })]),
    );
    const state = (await (await call('/api/state?reviewer=ann')).json()) as {
      rows: Array<{ complete: boolean; answered: number }>;
    };
    expect(state.rows.map((r) => r.complete)).toEqual([true, false]);
  });
});

describe('criteria of a run', () => {
  const a = (name: string, value: unknown, sourceType = 'LLM_JUDGE'): Assessment => ({
    assessment_name: name,
    source: { source_type: sourceType, source_id: 'x' },
    feedback: { value },
  });
  it('keeps pass/fail and 1–5 feedback names, leaves out floats, text and mixed forms', () => {
    const out = inferCriteria([
      [
        a('exact_match', true, 'CODE'),
        a('similarity', 0.5, 'CODE'),
        a('correctness', 'yes'),
        a('adequacy', 4),
      ],
      [
        a('exact_match', false, 'CODE'),
        a('similarity', 1, 'CODE'),
        a('correctness', 'No'),
        a('adequacy', 5),
        a('mixed', true),
      ],
      [
        a('mixed', 'yes'),
        a('free', 'fine'),
        a('correctness', 'yes', 'HUMAN'),
        { ...a('errored', undefined), feedback: { error: { error_code: 'X' } } },
      ],
    ]);
    expect(out.criteria).toEqual([
      { name: 'exact_match', scale: { kind: 'pass_fail', form: 'boolean' } },
      { name: 'correctness', scale: { kind: 'pass_fail', form: 'yes_no' } },
      { name: 'adequacy', scale: { kind: 'rubric', min: 1, max: 5 } },
    ]);
    expect(out.skipped).toEqual(['similarity', 'mixed', 'free', 'errored']);
  });

  it('--criteria picks and orders, names a scale, and rejects names it cannot label', () => {
    const inferred = inferCriteria([[a('correctness', 'yes'), a('adequacy', 3)]]).criteria;
    expect(chooseCriteria(inferred, ['adequacy', 'tone:1-5']).map((c) => [c.name, c.scale.kind])).toEqual([
      ['adequacy', 'rubric'],
      ['tone', 'rubric'],
    ]);
    expect(() => chooseCriteria(inferred, ['similarity'])).toThrow(/similarity:pass_fail/);
    expect(() => chooseCriteria(inferred, ['tone:stars'])).toThrow(/unknown scale/);
    expect(() => chooseCriteria([], undefined)).toThrow(/--criteria/);
  });

  it('turns answers into values of the scale', () => {
    expect(labelValue(criteria[0] as Criterion, true)).toEqual({ value: 'yes' });
    expect(labelValue(criteria[1] as Criterion, 'YES')).toEqual({ value: true });
    expect(labelValue(criteria[2] as Criterion, 5)).toEqual({ value: 5 });
    expect(labelValue(criteria[2] as Criterion, '5')).toHaveProperty('error');
  });
});
