import { z } from 'zod';
import { JudgeflowError } from '../core/errors.js';
import { headerSecrets, Redactor } from '../core/redact.js';
import { withRetries } from '../http/retry-loop.js';
import {
  controlPlaneRetryPolicy,
  idempotentMethod,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
  retryPolicyWith,
  shouldRetry,
} from '../http/retry-policy.js';
import { send } from '../http/transport.js';

/** A Ray Jobs REST call failed. */
export class RayJobsError extends JudgeflowError {
  override readonly name = 'RayJobsError';
  readonly endpoint: string;
  /** HTTP status; undefined when the dashboard could not be reached. */
  readonly status: number | undefined;
  readonly bodyExcerpt: string | undefined;
  /** Whether the failure was worth retrying (the call was retried when it was also idempotent). */
  readonly retryable: boolean;
  /** Attempts made (1 = no retry). */
  readonly attempts: number;
  constructor(options: {
    message: string;
    endpoint: string;
    status?: number;
    bodyExcerpt?: string;
    retryable?: boolean;
    attempts?: number;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.endpoint = options.endpoint;
    this.status = options.status;
    this.bodyExcerpt = options.bodyExcerpt;
    this.retryable = options.retryable ?? false;
    this.attempts = options.attempts ?? 1;
  }
}

export const JOB_STATUSES = ['PENDING', 'RUNNING', 'STOPPED', 'SUCCEEDED', 'FAILED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['STOPPED', 'SUCCEEDED', 'FAILED'];

export const jobDetailsSchema = z
  .object({
    type: z.string().optional(),
    job_id: z.string().nullish(),
    submission_id: z.string().nullish(),
    status: z.enum(JOB_STATUSES),
    message: z.string().nullish(),
    error_type: z.string().nullish(),
    start_time: z.number().nullish(),
    end_time: z.number().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    entrypoint: z.string().nullish(),
    driver_exit_code: z.number().nullish(),
  })
  .passthrough();
export type JobDetails = z.infer<typeof jobDetailsSchema>;

/** Ray's `JobSubmitRequest` (null keys are omitted, as Ray's SDK does). */
export interface JobSubmitRequest {
  entrypoint: string;
  submission_id?: string;
  runtime_env?: Record<string, unknown>;
  /** Shown in the dashboard; string → string only. Never put secrets here. */
  metadata?: Record<string, string>;
  entrypoint_num_cpus?: number;
  entrypoint_num_gpus?: number;
  entrypoint_memory?: number;
  entrypoint_resources?: Record<string, number>;
}

export interface RayJobsClientOptions {
  /** The dashboard URL, e.g. http://HEAD:8265. */
  baseUrl: string;
  /** `RAY_AUTH_TOKEN`, sent as a Bearer token (Ray's token auth mode). */
  token?: string;
  /** Sent as the User-Agent (never `Mozilla…`: the dashboard refuses browser POST/PUT). */
  userAgent: string;
  timeoutMs?: number;
  /** Retries (default `controlPlaneRetryPolicy`: 4 retries, 300 ms–10 s full-jitter backoff, 30 s in all). */
  retry?: Partial<RetryPolicy>;
  /** Jitter source (tests). */
  random?: () => number;
}

/** One call: what is sent, and which statuses are answers rather than failures. */
interface JobsRequest {
  method: 'GET' | 'POST' | 'PUT';
  pathname: string;
  body?: string | Buffer;
  contentType?: string;
  /** A POST that can be repeated safely (a client-chosen submission id, a stop). GET and PUT always are. */
  idempotent?: boolean;
  /** Non-2xx statuses returned to the caller instead of thrown (404 for "no such package"). */
  answers?: readonly number[];
}

/**
 * The Ray Jobs REST API over judgeflow's HTTP transport (undici, not the global `fetch`: `fetch` always
 * sends `sec-fetch-mode`, and the dashboard answers 405 to POST/PUT that look like browser traffic).
 * Calls are retried by the one retry policy: reads, package uploads (PUT), a submit with a
 * client-chosen `submission_id` and a stop are idempotent; a submit without an id is retried only when
 * the dashboard never saw it.
 */
export class RayJobsClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly random: (() => number) | undefined;
  private readonly redactor: Redactor;

  constructor(options: RayJobsClientOptions) {
    this.baseUrl = normalizeDashboardUrl(options.baseUrl);
    this.token = options.token;
    this.userAgent = options.userAgent;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.policy = retryPolicyWith(controlPlaneRetryPolicy, options.retry);
    this.random = options.random;
    this.redactor = new Redactor(headerSecrets(this.headers()));
  }

  async version(): Promise<{ version: string; ray_version: string }> {
    const body = await this.call({ method: 'GET', pathname: '/api/version' });
    return z.object({ version: z.string(), ray_version: z.string() }).passthrough().parse(body);
  }

  /** True when the package is in the cluster's GCS (the GET also pins it for a while, as Ray's SDK relies on). */
  async packageExists(name: string): Promise<boolean> {
    const pathname = `/api/packages/gcs/${encodeURIComponent(name)}`;
    const { status } = await this.request({ method: 'GET', pathname, answers: [404] });
    return status !== 404;
  }

  async uploadPackage(name: string, zip: Buffer): Promise<void> {
    await this.call({
      method: 'PUT',
      pathname: `/api/packages/gcs/${encodeURIComponent(name)}`,
      body: zip,
      contentType: 'application/octet-stream',
    });
  }

  async submit(job: JobSubmitRequest): Promise<{ submission_id: string }> {
    const idempotent = job.submission_id !== undefined;
    let body: unknown;
    try {
      body = await this.call({
        method: 'POST',
        pathname: '/api/jobs/',
        body: JSON.stringify(job),
        contentType: 'application/json',
        idempotent,
      });
    } catch (error) {
      // A retried submit whose first answer was lost finds its own job: the submission id is ours.
      if (
        idempotent &&
        error instanceof RayJobsError &&
        error.attempts > 1 &&
        error.status === 400 &&
        /already exists/i.test(error.bodyExcerpt ?? '')
      ) {
        return { submission_id: job.submission_id as string };
      }
      throw error;
    }
    return z.object({ submission_id: z.string() }).passthrough().parse(body);
  }

  async get(id: string): Promise<JobDetails> {
    return jobDetailsSchema.parse(
      await this.call({ method: 'GET', pathname: `/api/jobs/${encodeURIComponent(id)}` }),
    );
  }

  async list(): Promise<JobDetails[]> {
    return z.array(jobDetailsSchema).parse(await this.call({ method: 'GET', pathname: '/api/jobs/' }));
  }

  async logs(id: string): Promise<string> {
    const body = await this.call({ method: 'GET', pathname: `/api/jobs/${encodeURIComponent(id)}/logs` });
    return z.object({ logs: z.string() }).parse(body).logs;
  }

  async stop(id: string): Promise<boolean> {
    // Stopping a stopped job is a no-op: the POST is idempotent.
    const body = await this.call({
      method: 'POST',
      pathname: `/api/jobs/${encodeURIComponent(id)}/stop`,
      idempotent: true,
    });
    return z.object({ stopped: z.boolean() }).parse(body).stopped;
  }

  /** The WebSocket URL that streams a job's new log lines until it ends. */
  tailUrl(id: string): string {
    const url = new URL(`${this.baseUrl}/api/jobs/${encodeURIComponent(id)}/logs/tail`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  /** Headers for every call (also the log-tail WebSocket). */
  headers(): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    return headers;
  }

  private async call(request: JobsRequest): Promise<unknown> {
    const { method, pathname } = request;
    const { status, text } = await this.request(request);
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new RayJobsError({
        message: `${method} ${this.baseUrl}${pathname}: expected JSON, got: ${text.slice(0, 200)}`,
        endpoint: pathname,
        status,
        bodyExcerpt: text.slice(0, 500),
        cause: error,
      });
    }
  }

  /** Sends with retries; a 2xx (or a status in `answers`) comes back with its body, redacted. */
  private async request(request: JobsRequest): Promise<{ status: number; text: string }> {
    const { method, pathname } = request;
    const idempotent = request.idempotent ?? idempotentMethod(method);
    const headers = this.headers();
    if (request.contentType !== undefined) headers['content-type'] = request.contentType;
    return withRetries<{ status: number; text: string }, RayJobsError>({
      policy: this.policy,
      random: this.random,
      attempt: async (attempt) => {
        const sent = await send({
          url: `${this.baseUrl}${pathname}`,
          method,
          headers,
          body: request.body,
          timeoutMs: this.timeoutMs,
        });
        if (!sent.ok) {
          const { failure } = sent;
          const retry = shouldRetry(failure.retryClass, idempotent);
          return {
            ok: false,
            retry,
            error: new RayJobsError({
              message: `cannot reach the Ray dashboard at ${this.baseUrl} (${method} ${pathname}): ${this.redactor.text(failure.detail)}`,
              endpoint: pathname,
              retryable: failure.kind !== 'too_large',
              attempts: attempt,
              cause: failure.cause,
            }),
          };
        }
        const text = this.redactor.text(sent.text);
        if ((sent.status >= 200 && sent.status < 300) || request.answers?.includes(sent.status)) {
          return { ok: true, value: { status: sent.status, text } };
        }
        return {
          ok: false,
          retry: shouldRetry({ status: sent.status }, idempotent),
          retryAfterMs: retryAfterMs(sent.headers),
          error: this.failure(method, pathname, sent.status, text, attempt),
        };
      },
    });
  }

  private failure(
    method: string,
    pathname: string,
    status: number,
    text: string,
    attempts: number,
  ): RayJobsError {
    let hint = '';
    if (status === 401) hint = ' — the cluster uses token auth: set RAY_AUTH_TOKEN';
    else if (status === 403) hint = ' — RAY_AUTH_TOKEN was refused';
    else if (status === 404 && pathname.startsWith('/api/jobs/')) hint = ' — no such job';
    else if (status === 405) hint = ' — the dashboard refused the request as browser traffic';
    const excerpt = lastLine(text);
    return new RayJobsError({
      message: `${method} ${this.baseUrl}${pathname} failed with HTTP ${status}${hint}${excerpt !== '' ? `: ${excerpt}` : ''}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`,
      endpoint: pathname,
      status,
      bodyExcerpt: text.slice(0, 500),
      retryable: isRetryableStatus(status),
      attempts,
    });
  }
}

/** `http://head:8265/` → `http://head:8265`; a bare `head:8265` gets `http://`. */
export function normalizeDashboardUrl(url: string): string {
  const withScheme = /^https?:\/\//.test(url) ? url : `http://${url}`;
  return withScheme.replace(/\/+$/, '');
}

// Ray's error bodies are Python tracebacks; the last line says what went wrong.
function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
