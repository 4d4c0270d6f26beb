import { type Command, InvalidArgumentError } from 'commander';
import { readEnv, readSecret } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { defaultLocalJudgePath } from '../../judges/create-judge-resolver.js';
import { serveJudge } from '../../judges/serve-judge.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo } from './run.js';

export interface ServeJudgeCliOptions {
  /** GGUF file; default JUDGEFLOW_JUDGE_MODEL, else the model `judgeflow setup` installed. */
  model?: string;
  port: number;
  host: string;
  threads?: number;
  contextSize?: number;
  maxQueue?: number;
  /** Clients must send it as a Bearer token. */
  apiKey?: string;
  /** The environment variable holding the API key (keeps it out of the process list). */
  apiKeyEnv?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * `judgeflow serve-judge`: serves a local GGUF model as an OpenAI-compatible judge until Ctrl-C (or
 * `stop`, for tests), then closes it. Exit code 0 after a clean stop, 2 when the model is missing.
 */
export async function serveJudgeCommand(
  options: ServeJudgeCliOptions,
  io: CommandIo,
  stop?: AbortSignal,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  const modelPath = options.model ?? defaultLocalJudgePath(env);
  try {
    if (options.apiKey !== undefined && options.apiKeyEnv !== undefined) {
      throw new ConfigError('give --api-key or --api-key-env, not both', { field: 'api_key' });
    }
    const apiKey = options.apiKey ?? readSecret(env, options.apiKeyEnv);
    if (options.apiKeyEnv !== undefined && apiKey === undefined) {
      throw new ConfigError(`--api-key-env ${options.apiKeyEnv}: the variable is not set`, {
        field: 'api_key_env',
      });
    }
    if (!LOOPBACK_HOSTS.has(options.host) && apiKey === undefined) {
      io.stderr.write(
        `judgeflow: warning: serving on ${options.host} without --api-key: anyone who can reach this port can use the model\n`,
      );
    }
    const server = await serveJudge({
      modelPath,
      port: options.port,
      host: options.host,
      ...(apiKey !== undefined ? { apiKey } : {}),
      log: (line) => io.stderr.write(`${line}\n`),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
      ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
    });
    io.stdout.write(`judge server at ${server.baseUrl} (model ${modelPath})\n`);
    const keyHint =
      apiKey !== undefined ? `, api_key_env: ${options.apiKeyEnv ?? '<VARIABLE WITH THE KEY>'}` : '';
    io.stdout.write(
      `use it as: judge: { model: { provider: openai-compatible, base_url: ${server.baseUrl}, model: local${keyHint} }, concurrency: 2 }\n`,
    );
    const stopped = new Promise<void>((resolve) => {
      const removeInterrupt = io.onInterrupt?.(() => {
        removeInterrupt?.();
        resolve();
      });
      stop?.addEventListener('abort', () => resolve(), { once: true });
    });
    const failed = server.ready.then(
      () => new Promise<never>(() => undefined),
      (error: unknown) => Promise.reject(error),
    );
    try {
      await Promise.race([stopped, failed]);
    } finally {
      await server.close();
    }
    return 0;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  }
}

export function registerJudgeCommands(program: Command, setExitCode: (code: number) => void): void {
  const integer = (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
      throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
    return parsed;
  };
  program
    .command('serve-judge')
    .description(
      'serve a local GGUF model as an OpenAI-compatible judge and benchmark target (/v1/chat/completions, /v1/completions, /tokenize, /v1/models, /health)',
    )
    .addHelpText(
      'after',
      [
        '',
        'Routes:',
        '  POST /v1/chat/completions  chat; response_format json_schema becomes a grammar',
        '  POST /v1/completions       text or token-id prompts; echo + logprobs (0-20) score every prompt',
        '                             token (raw softmax); greedy at temperature 0, stop strings, EOS',
        '  POST /tokenize             {prompt, add_special_tokens?} -> {tokens, count, max_model_len}',
        '  POST /detokenize           {tokens} -> {prompt}',
        '  GET  /tokenizer_info       special tokens (eos, bos) as text, model_max_length',
        '  GET  /v1/models            the model, with max_model_len',
        '  GET  /health               503 while the model loads, then 200',
        'One request runs at a time, each from an empty model state: the same request always gets the',
        'same numbers. lm-eval: --model local-completions --model_args',
        '  base_url=http://127.0.0.1:8080/v1/completions,model=local,tokenizer_backend=remote',
      ].join('\n'),
    )
    .option('--model <file>', 'GGUF model file (default: the model judgeflow setup installs)')
    .option('--port <port>', 'port to listen on (0: a free one)', integer, 8080)
    .option(
      '--host <host>',
      'address to bind (default 127.0.0.1: this machine only; 0.0.0.0: every interface)',
      '127.0.0.1',
    )
    .option(
      '--api-key <key>',
      'require this key from clients (Authorization: Bearer <key>; missing or wrong: 401)',
    )
    .option('--api-key-env <name>', 'the same, read from this environment variable (keeps the key out of ps)')
    .option('--threads <n>', 'CPU threads for the model (default: cores - 1, at most 4)', integer)
    .option('--context-size <tokens>', 'context size in tokens (default 4096)', integer)
    .option('--max-queue <n>', 'requests allowed to wait before answering 503 (default 16)', integer)
    .action(async (options: ServeJudgeCliOptions) => {
      setExitCode(await serveJudgeCommand(options, processIo()));
    });
}
