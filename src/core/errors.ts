/**
 * Typed errors. Callers branch on the class (`instanceof`), never on the message text.
 * Every error carries the context needed to act on it and keeps its `cause`.
 */
export class JudgeflowError extends Error {
  override readonly name: string = 'JudgeflowError';
  /**
   * Exit code the CLI uses when this error ends a command. A plain JudgeflowError is a failure the
   * code did not classify: 70 (internal error), never 1 — 1 means "a quality gate failed".
   */
  readonly exitCode: number = 70;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Invalid eval file, flag or environment. Exit code 2. */
export class ConfigError extends JudgeflowError {
  override readonly name = 'ConfigError';
  override readonly exitCode = 2;
  /** The config file, when the error is in one. */
  readonly file: string | undefined;
  /** Dotted path of the offending field (`model.base_url`). */
  readonly field: string | undefined;
  constructor(message: string, options?: { file?: string; field?: string; cause?: unknown }) {
    super(message, options);
    this.file = options?.file;
    this.field = options?.field;
  }
}

/** Invalid dataset row or file. Exit code 2. The message names file, line, field and what was expected. */
export class DatasetError extends JudgeflowError {
  override readonly name = 'DatasetError';
  override readonly exitCode = 2;
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;
  readonly expected: string | undefined;
  /** 0-based index of the element in a JSON array dataset, when the row is one. */
  readonly element: number | undefined;
  constructor(options: {
    file: string;
    line?: number;
    /** 0-based index of the element in a JSON array dataset (named as `element [i]`). */
    element?: number;
    field?: string;
    expected?: string;
    message: string;
    cause?: unknown;
  }) {
    const where = [
      options.file,
      options.line !== undefined || options.element !== undefined
        ? [
            options.line !== undefined ? `line ${options.line}` : undefined,
            options.element !== undefined ? `element [${options.element}]` : undefined,
          ]
            .filter(Boolean)
            .join(', ')
        : undefined,
    ]
      .filter(Boolean)
      .join(':');
    const field = options.field !== undefined ? ` field "${options.field}":` : '';
    const expected = options.expected !== undefined ? ` (expected ${options.expected})` : '';
    super(`${where}:${field} ${options.message}${expected}`, { cause: options.cause });
    this.file = options.file;
    this.line = options.line;
    this.field = options.field;
    this.expected = options.expected;
    this.element = options.element;
  }
}

/** A model or judge HTTP endpoint failed (after retries, when retryable). */
export class ProviderError extends JudgeflowError {
  override readonly name = 'ProviderError';
  readonly url: string;
  /** HTTP status; undefined for network errors and timeouts. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  /** The first ~500 characters of the response body. */
  readonly bodyExcerpt: string | undefined;
  /** `timeout`, `network`, `http`, `aborted`, `invalid_response`. */
  readonly kind: 'timeout' | 'network' | 'http' | 'aborted' | 'invalid_response';
  /** Attempts made before giving up (1 = no retry), when the HTTP runtime knows; spans show it. */
  readonly attempts: number | undefined;
  constructor(options: {
    message: string;
    url: string;
    kind: ProviderError['kind'];
    status?: number;
    requestId?: string;
    retryable: boolean;
    bodyExcerpt?: string;
    attempts?: number;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.url = options.url;
    this.kind = options.kind;
    this.status = options.status;
    this.requestId = options.requestId;
    this.retryable = options.retryable;
    this.bodyExcerpt = options.bodyExcerpt;
    this.attempts = options.attempts;
  }
}

/** A judge's output did not match its verdict schema, even after the repair attempt. */
export class JudgeOutputError extends JudgeflowError {
  override readonly name = 'JudgeOutputError';
  readonly rawText: string;
  readonly model: string;
  readonly usage: { inputTokens: number; outputTokens: number; totalTokens: number } | undefined;
  constructor(options: {
    message: string;
    rawText: string;
    model: string;
    usage?: { inputTokens: number; outputTokens: number; totalTokens: number };
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.rawText = options.rawText;
    this.model = options.model;
    this.usage = options.usage;
  }
}

/** An MLflow REST call failed. */
export class MlflowError extends JudgeflowError {
  override readonly name = 'MlflowError';
  readonly endpoint: string;
  /** HTTP status; undefined when the server could not be reached. */
  readonly status: number | undefined;
  /** MLflow's `error_code`, e.g. `RESOURCE_DOES_NOT_EXIST`. */
  readonly errorCode: string | undefined;
  readonly retryable: boolean;
  constructor(options: {
    message: string;
    endpoint: string;
    status?: number;
    errorCode?: string;
    retryable: boolean;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.endpoint = options.endpoint;
    this.status = options.status;
    this.errorCode = options.errorCode;
    this.retryable = options.retryable;
  }
}

/** A required local piece (Python venv, model file, server) is missing; the message names the command that installs it. */
export class MissingComponentError extends JudgeflowError {
  override readonly name = 'MissingComponentError';
  override readonly exitCode = 2;
  readonly installCommand: string;
  constructor(message: string, options: { installCommand: string; cause?: unknown }) {
    super(`${message} — run \`${options.installCommand}\` to install it`, { cause: options.cause });
    this.installCommand = options.installCommand;
  }
}

/**
 * Something the run needs was unreachable or could not be started after retries: a Ray cluster, the
 * model or judge endpoint at start, an MLflow server that could not be started. Exit code 5.
 */
export class InfrastructureError extends JudgeflowError {
  override readonly name: string = 'InfrastructureError';
  /** 5; a subclass may classify some of its failures as internal (70). */
  override readonly exitCode: number = 5;
  /** What was unreachable (`ray`, `mlflow`, `model`, `judge`, ...). */
  readonly component: string;
  constructor(message: string, options: { component: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.component = options.component;
  }
}

/** The run was interrupted (Ctrl-C) before it had started: nothing was written. Exit code 130. */
export class InterruptedError extends JudgeflowError {
  override readonly name = 'InterruptedError';
  override readonly exitCode = 130;
}

/** Turns anything thrown into a short message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
