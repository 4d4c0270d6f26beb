import { request } from 'undici';
import { z } from 'zod';
import { JudgeflowError } from '../core/errors.js';

/** A Ray Jobs REST call failed. */
export class RayJobsError extends JudgeflowError {
  override readonly name = 'RayJobsError';
  readonly endpoint: string;
  /** HTTP status; undefined when the dashboard could not be reached. */
  readonly status: number | undefined;
  readonly bodyExcerpt: string | undefined;
  constructor(options: {
    message: string;
    endpoint: string;
    status?: number;
    bodyExcerpt?: string;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.endpoint = options.endpoint;
    this.status = options.status;
    this.bodyExcerpt = options.bodyExcerpt;
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
}

/**
 * The Ray Jobs REST API over `undici.request`. Not the global `fetch`: it always sends
 * `sec-fetch-mode`, and the dashboard answers 405 to POST/PUT that look like browser traffic.
 */
export class RayJobsClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly userAgent: string;
  private readonly timeoutMs: number;

  constructor(options: RayJobsClientOptions) {
    this.baseUrl = normalizeDashboardUrl(options.baseUrl);
    this.token = options.token;
    this.userAgent = options.userAgent;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async version(): Promise<{ version: string; ray_version: string }> {
    const body = await this.call('GET', '/api/version');
    return z.object({ version: z.string(), ray_version: z.string() }).passthrough().parse(body);
  }

  /** True when the package is in the cluster's GCS (the GET also pins it for a while, as Ray's SDK relies on). */
  async packageExists(name: string): Promise<boolean> {
    const { status } = await this.raw('GET', `/api/packages/gcs/${encodeURIComponent(name)}`);
    if (status === 200) return true;
    if (status === 404) return false;
    throw await this.failure('GET', `/api/packages/gcs/${name}`, status, '');
  }

  async uploadPackage(name: string, zip: Buffer): Promise<void> {
    await this.call('PUT', `/api/packages/gcs/${encodeURIComponent(name)}`, zip, 'application/octet-stream');
  }

  async submit(job: JobSubmitRequest): Promise<{ submission_id: string }> {
    const body = await this.call('POST', '/api/jobs/', JSON.stringify(job), 'application/json');
    return z.object({ submission_id: z.string() }).passthrough().parse(body);
  }

  async get(id: string): Promise<JobDetails> {
    return jobDetailsSchema.parse(await this.call('GET', `/api/jobs/${encodeURIComponent(id)}`));
  }

  async list(): Promise<JobDetails[]> {
    return z.array(jobDetailsSchema).parse(await this.call('GET', '/api/jobs/'));
  }

  async logs(id: string): Promise<string> {
    const body = await this.call('GET', `/api/jobs/${encodeURIComponent(id)}/logs`);
    return z.object({ logs: z.string() }).parse(body).logs;
  }

  async stop(id: string): Promise<boolean> {
    const body = await this.call('POST', `/api/jobs/${encodeURIComponent(id)}/stop`);
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

  private async call(
    method: 'GET' | 'POST' | 'PUT',
    pathname: string,
    body?: string | Buffer,
    contentType?: string,
  ) {
    const { status, text } = await this.raw(method, pathname, body, contentType);
    if (status < 200 || status >= 300) throw await this.failure(method, pathname, status, text);
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

  private async raw(
    method: 'GET' | 'POST' | 'PUT',
    pathname: string,
    body?: string | Buffer,
    contentType?: string,
  ): Promise<{ status: number; text: string }> {
    const headers = this.headers();
    if (contentType !== undefined) headers['content-type'] = contentType;
    try {
      const response = await request(`${this.baseUrl}${pathname}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      return { status: response.statusCode, text: await response.body.text() };
    } catch (error) {
      throw new RayJobsError({
        message: `cannot reach the Ray dashboard at ${this.baseUrl} (${method} ${pathname}): ${(error as Error).message}`,
        endpoint: pathname,
        cause: error,
      });
    }
  }

  private async failure(
    method: string,
    pathname: string,
    status: number,
    text: string,
  ): Promise<RayJobsError> {
    let hint = '';
    if (status === 401) hint = ' — the cluster uses token auth: set RAY_AUTH_TOKEN';
    else if (status === 403) hint = ' — RAY_AUTH_TOKEN was refused';
    else if (status === 404 && pathname.startsWith('/api/jobs/')) hint = ' — no such job';
    else if (status === 405) hint = ' — the dashboard refused the request as browser traffic';
    const excerpt = lastLine(text);
    return new RayJobsError({
      message: `${method} ${this.baseUrl}${pathname} failed with HTTP ${status}${hint}${excerpt !== '' ? `: ${excerpt}` : ''}`,
      endpoint: pathname,
      status,
      bodyExcerpt: text.slice(0, 500),
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
