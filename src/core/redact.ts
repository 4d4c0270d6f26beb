/**
 * The one redaction mechanism. Every text judgeflow persists or prints (results, summary, MLflow
 * params, tags, spans, assessments, artifacts, logs, errors, progress) passes through a `Redactor`,
 * which removes:
 * - the values of the secrets the run knows (API keys named by `api_key_env`, `OPENAI_API_KEY`, the
 *   `MLFLOW_TRACKING_*` credentials, Ray tokens — collected by `src/config/secrets.ts`);
 * - credentials inside URLs: userinfo (`https://user:pass@host`) and credential-like query parameters
 *   (`?token=`, `&api_key=`, `&X-Amz-Signature=`, `&sig=`);
 * - well-known key formats (OpenAI/Anthropic `sk-…`, `Bearer …`/`Basic …` credentials, AWS access key
 *   ids, GitHub/GitLab/Slack/Google/Hugging Face/Stripe tokens, JWTs, PEM private keys) and values
 *   labelled as secrets (`"api_key": "…"`, `password=…`).
 *
 * Redaction is idempotent: a redacted text passes through unchanged.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Secret values shorter than this are not scrubbed from text: they would match ordinary words. */
const MIN_SECRET_LENGTH = 6;

const TOKEN_CHARS = 'A-Za-z0-9._~+/\\-';

/** Query-parameter names (the whole name, case-insensitive) whose values are credentials. */
const CREDENTIAL_PARAM =
  /^(?:[a-z0-9]+[_.-])*(?:token|api[_-]?key|apikey|key|secret|password|passwd|pwd|sig|signature|credential|credentials|auth|session|sas|code)$/i;

/** Whether a URL query parameter of this name carries a credential (`token`, `api_key`, `sig`, ...). */
export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_PARAM.test(name);
}

/**
 * The secret values in a set of HTTP headers: each header whose name names a secret
 * (`authorization`, `x-api-key`, `cookie`), with the credential after `Bearer`/`Basic` and the password
 * inside Basic credentials too.
 */
export function headerSecrets(headers: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isSecretKey(name)) continue;
    secrets.push(value);
    const scheme = /^(Bearer|Basic|Token)\s+(.+)$/i.exec(value.trim());
    if (scheme === null) continue;
    const credential = scheme[2] as string;
    secrets.push(credential);
    if (scheme[1]?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon !== -1) secrets.push(decoded.slice(colon + 1));
    }
  }
  return secrets;
}

/** Names (keys, headers, params) whose values are secrets: `api_key`, `x-api-key`, `password`, ... */
const SECRET_WORDS = new Set([
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'authorization',
  'credential',
  'credentials',
  'apikey',
  'cookie',
]);
const SECRET_PAIRS = new Set(['api key', 'private key', 'access key', 'secret key', 'client secret']);
/** Names that hold a reference to a secret (where to find it), not the secret itself. */
const REFERENCE_SUFFIXES = new Set(['env', 'file', 'path', 'name', 'var', 'variable', 'url', 'uri']);

/**
 * Whether a key's value is a secret. Judged on the words of the name, so `api_key`, `x-api-key`,
 * `apiKey`, `password` and `authorization` are secret, while `api_key_env` (the *name* of a variable),
 * `max_tokens` and `token_count` are not.
 */
export function isSecretKey(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  const last = words.at(-1);
  if (last === undefined || REFERENCE_SUFFIXES.has(last)) return false;
  if (SECRET_WORDS.has(last)) return true;
  return words.length >= 2 && SECRET_PAIRS.has(`${words.at(-2)} ${last}`);
}

interface Pattern {
  regex: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

const keep =
  (prefix: number) =>
  (_match: string, ...groups: string[]): string =>
    `${groups.slice(0, prefix).join('')}${REDACTED}`;

/** Formats that are credentials wherever they appear. Every regex is global; none needs context. */
const PATTERNS: Pattern[] = [
  // PEM private keys, whole blocks
  {
    regex: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replace: () => REDACTED,
  },
  // userinfo in a URL: scheme://user:pass@host → scheme://[REDACTED]@host
  {
    regex: /\b([a-z][a-z0-9+.-]*:\/\/)(?!\[REDACTED\]@)[^\s/?#@"'<>\\]+@/gi,
    replace: (_m, scheme) => `${scheme}${REDACTED}@`,
  },
  // credential-like query parameters
  {
    regex: /([?&;])([A-Za-z0-9_.-]+)=([^&#\s"'<>\\]+)/g,
    replace: (match, sep, name, value) =>
      CREDENTIAL_PARAM.test(name as string) && value !== REDACTED ? `${sep}${name}=${REDACTED}` : match,
  },
  // HTTP credentials: Bearer/Token/Basic schemes
  {
    regex: new RegExp(`\\b(Bearer|Token)(\\s+)([${TOKEN_CHARS}]+=*)`, 'gi'),
    replace: (match, scheme, space, token) =>
      looksLikeToken(token as string) ? `${scheme}${space}${REDACTED}` : match,
  },
  {
    regex: /\b(Basic)(\s+)([A-Za-z0-9+/]{6,}={0,2})/g,
    replace: (match, scheme, space, encoded) =>
      isBasicCredential(encoded as string) ? `${scheme}${space}${REDACTED}` : match,
  },
  // values labelled as secrets: "api_key": "…", password=…, Authorization: …, x-api-key: …
  {
    regex:
      /(["']?)([A-Za-z][A-Za-z0-9_.-]*)(\1\s*[:=]\s*)(["']?)((?:Bearer |Basic |Token )?[^\s"',;&}]{6,})/g,
    replace: (match, quote, name, assign, open, value) =>
      isSecretKey(name as string) && !(value as string).includes(REDACTED)
        ? `${quote}${name}${assign}${open}${REDACTED}`
        : match,
  },
  // OpenAI / Anthropic style keys
  { regex: /(^|[^A-Za-z0-9])(sk-[A-Za-z0-9_-]{20,})/g, replace: keep(1) },
  // AWS access key ids
  { regex: /\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16})\b/g, replace: () => REDACTED },
  // GitHub, GitLab, Slack, Google, Hugging Face, Stripe, Databricks tokens
  { regex: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g, replace: () => REDACTED },
  { regex: /\bglpat-[A-Za-z0-9_-]{20,}/g, replace: () => REDACTED },
  { regex: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: () => REDACTED },
  { regex: /\bAIza[0-9A-Za-z_-]{35}/g, replace: () => REDACTED },
  { regex: /\bhf_[A-Za-z0-9]{30,}/g, replace: () => REDACTED },
  { regex: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g, replace: () => REDACTED },
  { regex: /\bdapi[0-9a-f]{32}\b/g, replace: () => REDACTED },
  // JSON Web Tokens
  {
    regex: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    replace: () => REDACTED,
  },
];

/** A bearer token, not an English word after "Bearer" (a digit in it, or long). */
function looksLikeToken(token: string): boolean {
  if (token === REDACTED || token.startsWith('[')) return false;
  return token.length >= 20 || (token.length >= 8 && /\d/.test(token));
}

/** `Basic <base64 of user:pass>`, not the English word "Basic" before another word. */
function isBasicCredential(encoded: string): boolean {
  if (encoded.length % 4 !== 0) return false;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded);
}

/**
 * Scrubs texts and JSON-like values. Created per process or run and passed explicitly; `addSecrets`
 * teaches it values learned later (the keys an eval file names), and every holder of the same
 * redactor then scrubs them too.
 */
export class Redactor {
  #secrets: string[] = [];

  constructor(secrets: Iterable<string | undefined> = []) {
    this.addSecrets(secrets);
  }

  /** Values to scrub wherever they appear (their URL-encoded form too). */
  addSecrets(secrets: Iterable<string | undefined>): this {
    const all = new Set(this.#secrets);
    for (const secret of secrets) {
      if (secret === undefined) continue;
      const value = secret.trim();
      if (value.length < MIN_SECRET_LENGTH) continue;
      all.add(value);
      const encoded = encodeURIComponent(value);
      if (encoded !== value) all.add(encoded);
    }
    // longest first, so a secret that contains another is removed whole
    this.#secrets = [...all].sort((a, b) => b.length - a.length);
    return this;
  }

  /** The secret values it knows (with their encodings), to hand on to another redactor. */
  secrets(): readonly string[] {
    return this.#secrets;
  }

  /** The text with every known secret, URL credential and key-shaped value replaced by `[REDACTED]`. */
  text(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const pattern of PATTERNS) {
      pattern.regex.lastIndex = 0;
      if (!pattern.regex.test(out)) continue;
      pattern.regex.lastIndex = 0;
      out = out.replace(pattern.regex, pattern.replace as (match: string, ...rest: unknown[]) => string);
    }
    return out;
  }

  /**
   * A deep copy of a JSON-like value (row results, summaries, spans) with every string scrubbed.
   * Keys are scrubbed too (a key can hold text); non-plain objects (Dates) pass through.
   */
  value<T>(value: T): T {
    return this.#walk(value) as T;
  }

  /**
   * MLflow params or tags: values scrubbed, and the value of every key that names a secret
   * (`isSecretKey` on the key's last dotted segment) replaced whole.
   */
  params(params: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      const leaf = key.split('.').pop() ?? key;
      out[this.text(key)] = isSecretKey(leaf) ? REDACTED : this.text(value);
    }
    return out;
  }

  /** An error's one-line message, scrubbed. */
  message(error: unknown): string {
    return this.text(error instanceof Error ? error.message : String(error));
  }

  #walk(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.#walk(item));
    if (value === null || typeof value !== 'object') return value;
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[this.text(key)] = this.#walk(inner);
    return out;
  }
}

/**
 * A URL without userinfo, query string or fragment: what may be shown or stored for a server whose
 * URI might carry credentials (`https://user:pass@host/x?token=…` → `https://host/x`). Not a URL:
 * the text, redacted.
 */
export function withoutCredentials(uri: string): string {
  try {
    const url = new URL(uri);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return new Redactor().text(uri);
  }
}
