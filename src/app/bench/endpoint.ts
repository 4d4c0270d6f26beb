import { errorMessage } from '../../core/errors.js';
import { BenchTaskError } from './errors.js';
import { publicUrl } from './options.js';

/** lm-eval output types that score prompts by their log-likelihood (need echo + logprobs). */
export const LOGLIKELIHOOD_OUTPUT_TYPES: ReadonlySet<string> = new Set([
  'loglikelihood',
  'multiple_choice',
  'loglikelihood_rolling',
]);

export interface EndpointCheckOptions {
  /** The `/v1` base URL. */
  baseUrl: string;
  apiKey?: string;
  /** The tasks that need the server, named in errors. */
  tasks: readonly string[];
  timeoutMs?: number;
  fetch?: typeof fetch;
}

function headers(apiKey: string | undefined): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(apiKey !== undefined ? { authorization: `Bearer ${apiKey}` } : {}),
  };
}

const list = (tasks: readonly string[]) => tasks.join(', ');

/**
 * GET /v1/models: the server answers, and which models it serves. A server that cannot be reached
 * (or refuses the key) is the user's to fix: exit 2 naming the URL and the tasks waiting for it.
 */
export async function listServedModels(options: EndpointCheckOptions): Promise<string[]> {
  const url = `${options.baseUrl}/models`;
  const shown = publicUrl(url);
  const call = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await call(url, {
      headers: headers(options.apiKey),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    throw new BenchTaskError({
      code: 'endpoint_unreachable',
      message: `cannot reach the model server at ${shown} (${networkReason(cause)}), needed by ${list(options.tasks)}; start the server or fix --base-url`,
      tasks: options.tasks,
      cause,
    });
  }
  if (!response.ok) {
    const hint =
      response.status === 401 || response.status === 403
        ? ' (the server wants an API key: name the variable holding it with --api-key-env)'
        : '';
    throw new BenchTaskError({
      code: 'endpoint_unreachable',
      message: `the model server at ${shown} answered GET /models with HTTP ${response.status}${hint}, needed by ${list(options.tasks)}`,
      tasks: options.tasks,
    });
  }
  const body = (await response.json().catch(() => ({}))) as { data?: Array<{ id?: unknown }> };
  return (body.data ?? []).flatMap((item) => (typeof item.id === 'string' ? [item.id] : []));
}

/**
 * What lm-eval's `local-completions` model needs for log-likelihood tasks: `/v1/completions` that
 * echoes the prompt with its logprobs, and the vLLM-style tokenizer routes (`/tokenizer_info`,
 * `/tokenize`) at the server root. Throws `no_logprobs` naming the tasks and what is missing.
 */
export async function probeLogprobs(
  options: EndpointCheckOptions & {
    model: string;
    /** Set when prompts are tokenized locally (`--tokenizer`): the server's tokenizer routes are not needed. */
    localTokenizer?: boolean;
  },
): Promise<void> {
  const call = options.fetch ?? fetch;
  const timeout = options.timeoutMs ?? 60_000;
  const fail = (what: string, cause?: unknown): never => {
    throw new BenchTaskError({
      code: 'no_logprobs',
      message: `${list(options.tasks)} ${options.tasks.length === 1 ? 'is a log-likelihood task' : 'are log-likelihood tasks'}, but the server at ${publicUrl(options.baseUrl)} cannot score prompts: ${what}. They need /v1/completions with echo and logprobs plus /tokenize and /tokenizer_info (vLLM, judgeflow serve-judge) or, without those routes, the model's tokenizer given with --tokenizer; OpenAI's hosted API gives no prompt logprobs — run generation tasks with --api chat there`,
      tasks: options.tasks,
      ...(cause !== undefined ? { cause } : {}),
    });
  };
  let response: Response;
  try {
    response = await call(`${options.baseUrl}/completions`, {
      method: 'POST',
      headers: headers(options.apiKey),
      body: JSON.stringify({
        model: options.model,
        prompt: 'Hello world',
        max_tokens: 1,
        temperature: 0,
        echo: true,
        logprobs: 1,
      }),
      signal: AbortSignal.timeout(timeout),
    });
  } catch (cause) {
    return fail(`POST /completions failed (${networkReason(cause)})`, cause);
  }
  if (!response.ok) return fail(`POST /completions answered HTTP ${response.status}`);
  const body = (await response.json().catch(() => undefined)) as
    | { choices?: Array<{ logprobs?: { token_logprobs?: unknown } | null }> }
    | undefined;
  const logprobs = body?.choices?.[0]?.logprobs?.token_logprobs;
  if (!Array.isArray(logprobs) || logprobs.length < 2)
    return fail('its /completions answer holds no logprobs for the echoed prompt');
  if (options.localTokenizer === true) return;
  const root = options.baseUrl.replace(/\/v1$/, '');
  let info: Response;
  try {
    info = await call(`${root}/tokenizer_info`, {
      headers: headers(options.apiKey),
      signal: AbortSignal.timeout(timeout),
    });
  } catch (cause) {
    return fail(`GET /tokenizer_info failed (${networkReason(cause)})`, cause);
  }
  if (!info.ok) return fail(`GET /tokenizer_info answered HTTP ${info.status} (no remote tokenizer)`);
}

function networkReason(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof inner?.code === 'string') return inner.code;
  if (cause instanceof Error && cause.name === 'TimeoutError') return 'no answer in time';
  return errorMessage(cause);
}
