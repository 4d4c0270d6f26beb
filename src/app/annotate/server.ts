import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { type Criterion, labelValue } from './criteria.js';
import { annotationPage } from './page.js';
import { type AnnotationRow, type HumanAnswer, humanAnswers, judgeVerdicts, type RowDetail } from './rows.js';

/** A label as the page gives it, in the shape `writeHumanLabel` (src/app/feedback/write.ts) takes. */
export interface AnnotationLabel {
  traceId: string;
  name: string;
  value: boolean | number | string;
  reviewer: string;
  rationale?: string;
  expectation?: { name: string; value: unknown };
}

/** Where the server reads rows from and writes labels to: MLflow in the command, a fake in unit tests. */
export interface AnnotationSource {
  runId: string;
  runName: string | undefined;
  rows: readonly AnnotationRow[];
  /** Every HUMAN label already on the rows, by trace id (read once at start; refreshed per row read). */
  initialAnswers: ReadonlyMap<string, readonly HumanAnswer[]>;
  readRow(row: AnnotationRow): Promise<RowDetail>;
  writeLabel(label: AnnotationLabel): Promise<{ assessmentId: string }>;
}

export interface AnnotateServerOptions {
  source: AnnotationSource;
  criteria: readonly Criterion[];
  /** `--reviewer`: every label is this reviewer's; without it, the page asks and sends its own. */
  reviewer?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** The session token (default: 32 random bytes); tests pass their own. */
  token?: string;
  /** Reports a label that could not be written (it is also answered to the page). */
  log?: (line: string) => void;
}

export interface AnnotateServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 256 * 1024;
const TOKEN_HEADER = 'x-judgeflow-token';

const reviewerSchema = z
  .string()
  .trim()
  .min(1, 'a reviewer id is required')
  .max(200)
  .regex(/^[^\p{Cc}]+$/u, 'a reviewer id has no control characters');

const labelRequestSchema = z
  .object({
    reviewer: z.string().optional(),
    traceId: z.string().min(1),
    name: z.string().min(1),
    value: z.union([z.boolean(), z.number(), z.string()]),
    rationale: z.string().max(20_000).optional(),
    expectation: z.object({ name: z.string().min(1).max(250), value: z.string().max(100_000) }).optional(),
  })
  .strict();

/** A request the API refuses: its status and a message for the page. */
class ApiProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The annotation server: one page and a small JSON API on 127.0.0.1. Every API call carries the
 * session token the page was served with (a header, so a cross-site page cannot send it without a CORS
 * preflight this server never grants); a POST must also be same-origin JSON. Requests for any other
 * Host are refused, which stops a DNS-rebinding site from reading the page and its token.
 */
export async function startAnnotateServer(options: AnnotateServerOptions): Promise<AnnotateServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const fixedReviewer = options.reviewer !== undefined ? reviewerSchema.parse(options.reviewer) : undefined;
  const { source, criteria } = options;
  const byTrace = new Map(source.rows.map((row, index) => [row.traceId, { row, index }]));
  // (trace id) → (reviewer, criterion) → answer: MLflow's view, updated as labels are written
  const answers = new Map<string, Map<string, HumanAnswer>>();
  const remember = (traceId: string, list: readonly HumanAnswer[]) => {
    const map = new Map<string, HumanAnswer>();
    for (const answer of list) map.set(`${answer.reviewer}\u0000${answer.name}`, answer);
    answers.set(traceId, map);
  };
  for (const [traceId, list] of source.initialAnswers) remember(traceId, list);

  const reviewerOf = (given: string | null | undefined): string => {
    if (fixedReviewer !== undefined) {
      if (given !== undefined && given !== null && given !== '' && given.trim() !== fixedReviewer)
        throw new ApiProblem(403, `this session labels as ${fixedReviewer} (--reviewer)`);
      return fixedReviewer;
    }
    const parsed = reviewerSchema.safeParse(given ?? '');
    if (!parsed.success) throw new ApiProblem(400, parsed.error.issues[0]?.message ?? 'bad reviewer id');
    return parsed.data;
  };
  const answersOf = (
    traceId: string,
    reviewer: string,
  ): Record<string, Omit<HumanAnswer, 'name' | 'reviewer'>> => {
    const out: Record<string, Omit<HumanAnswer, 'name' | 'reviewer'>> = {};
    for (const criterion of criteria) {
      const answer = answers.get(traceId)?.get(`${reviewer}\u0000${criterion.name}`);
      if (answer !== undefined)
        out[criterion.name] = {
          value: answer.value,
          ...(answer.rationale !== undefined ? { rationale: answer.rationale } : {}),
        };
    }
    return out;
  };
  const complete = (traceId: string, reviewer: string) =>
    criteria.every((criterion) => answers.get(traceId)?.has(`${reviewer}\u0000${criterion.name}`) === true);
  const progress = (reviewer: string) => ({
    labelled: source.rows.filter((row) => complete(row.traceId, reviewer)).length,
    total: source.rows.length,
  });
  // what the page may see of a row: judges' verdicts and other reviewers' labels only once answered
  const rowView = (detail: RowDetail, index: number, reviewer: string) => {
    const done = complete(detail.traceId, reviewer);
    const others = [...(answers.get(detail.traceId)?.values() ?? [])].filter(
      (answer) => answer.reviewer !== reviewer,
    );
    return {
      index,
      traceId: detail.traceId,
      rowId: detail.rowId,
      inputs: detail.inputs,
      outputs: detail.outputs,
      expectations: detail.expectations,
      answers: answersOf(detail.traceId, reviewer),
      complete: done,
      judges: done ? judgeVerdicts(detail.assessments) : null,
      others: done ? others : null,
      progress: progress(reviewer),
    };
  };
  const readRow = async (index: number, reviewer: string) => {
    const row = source.rows[index];
    if (row === undefined) throw new ApiProblem(404, `no row ${index}`);
    const detail = await source.readRow(row);
    remember(row.traceId, humanAnswers(detail.assessments));
    return rowView(detail, index, reviewer);
  };

  const api = async (request: IncomingMessage, url: URL): Promise<unknown> => {
    if (request.method === 'GET' && url.pathname === '/api/state') {
      const reviewer = reviewerOf(url.searchParams.get('reviewer'));
      return {
        runId: source.runId,
        runName: source.runName ?? null,
        reviewer,
        criteria,
        rows: source.rows.map((row) => ({
          traceId: row.traceId,
          rowId: row.rowId,
          answered: Object.keys(answersOf(row.traceId, reviewer)).length,
          complete: complete(row.traceId, reviewer),
        })),
        progress: progress(reviewer),
      };
    }
    if (request.method === 'GET' && url.pathname === '/api/row') {
      const reviewer = reviewerOf(url.searchParams.get('reviewer'));
      const index = Number(url.searchParams.get('index'));
      if (!Number.isInteger(index)) throw new ApiProblem(400, 'index must be an integer');
      return readRow(index, reviewer);
    }
    if (request.method === 'POST' && url.pathname === '/api/label') {
      const body = labelRequestSchema.safeParse(await readJson(request));
      if (!body.success) {
        const issue = body.error.issues[0];
        throw new ApiProblem(400, `bad label: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
      }
      const reviewer = reviewerOf(body.data.reviewer);
      const target = byTrace.get(body.data.traceId);
      if (target === undefined)
        throw new ApiProblem(400, `trace ${body.data.traceId} is not a row of this run`);
      const criterion = criteria.find((c) => c.name === body.data.name);
      if (criterion === undefined)
        throw new ApiProblem(400, `${body.data.name} is not a criterion of this session`);
      const value = labelValue(criterion, body.data.value);
      if ('error' in value) throw new ApiProblem(400, value.error);
      const rationale = body.data.rationale?.trim();
      const label: AnnotationLabel = {
        traceId: body.data.traceId,
        name: criterion.name,
        value: value.value,
        reviewer,
        ...(rationale !== undefined && rationale !== '' ? { rationale } : {}),
        ...(body.data.expectation !== undefined ? { expectation: body.data.expectation } : {}),
      };
      let written: { assessmentId: string };
      try {
        written = await source.writeLabel(label);
      } catch (error) {
        options.log?.(
          `judgeflow annotate: could not write ${label.name} of ${label.traceId}: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw new ApiProblem(
          502,
          `MLflow did not take the label: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      // the row as MLflow now holds it (the judges' verdicts may show as overridden)
      const view = await readRow(target.index, reviewer);
      return { assessmentId: written.assessmentId, row: view };
    }
    throw new ApiProblem(404, `no ${request.method} ${url.pathname}`);
  };

  let origin = '';
  const allowedHosts = new Set<string>();
  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    try {
      if (!allowedHosts.has(request.headers.host ?? '')) throw new ApiProblem(421, 'unexpected Host');
      const url = new URL(request.url ?? '/', origin);
      if (url.pathname === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
        const nonce = randomBytes(16).toString('base64');
        const html = annotationPage({
          nonce,
          token,
          reviewer: fixedReviewer ?? null,
          runId: source.runId,
          runName: source.runName ?? null,
        });
        send(response, 200, 'text/html; charset=utf-8', html, {
          'content-security-policy': contentSecurityPolicy(nonce),
        });
        return;
      }
      if (!url.pathname.startsWith('/api/')) throw new ApiProblem(404, 'not found');
      if (!tokenMatches(request.headers[TOKEN_HEADER], token))
        throw new ApiProblem(403, 'missing or wrong session token');
      if (request.method === 'POST') {
        if (request.headers.origin !== origin) throw new ApiProblem(403, 'cross-origin request refused');
        const site = request.headers['sec-fetch-site'];
        if (site !== undefined && site !== 'same-origin')
          throw new ApiProblem(403, 'cross-site request refused');
        if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json'))
          throw new ApiProblem(415, 'send application/json');
      }
      const out = await api(request, url);
      send(response, 200, 'application/json; charset=utf-8', JSON.stringify(out));
    } catch (error) {
      const status = error instanceof ApiProblem ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof ApiProblem)) options.log?.(`judgeflow annotate: ${message}`);
      send(response, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${HOST}:${port}`;
  allowedHosts.add(`${HOST}:${port}`);
  allowedHosts.add(`localhost:${port}`);
  return {
    url: `${origin}/`,
    token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The page may run only its own nonce'd script and style, and talk only to this server. */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function tokenMatches(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiProblem(413, 'label too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiProblem(400, 'body is not JSON');
  }
}

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-resource-policy': 'same-origin',
    ...headers,
  });
  response.end(body);
}
