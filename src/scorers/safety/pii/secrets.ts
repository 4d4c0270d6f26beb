import { before, type PiiSpan } from './types.js';

// Credentials of known shapes. Each pattern is anchored on a vendor prefix or a structure (JWT, PEM,
// `Bearer`), so random-looking strings without one (hashes, UUIDs, base64 blobs) are not reported; the
// one exception, AWS secret access keys (40 base64 characters), is reported only after an AWS secret
// key name. Placeholders (`sk-...`, `Bearer <token>`, `YOUR_API_KEY`, `ghp_XXXX…`) have no digits or
// too few distinct characters, and are skipped.

interface SecretPattern {
  kind: string;
  pattern: RegExp;
  /** The capture group holding the secret (0: the whole match). */
  group?: number;
  /** Extra check on the secret itself. */
  accept?: (value: string, text: string, start: number) => boolean;
}

/** Not touching other token characters on either side. */
const B = '(?<![A-Za-z0-9_-])';
const E = '(?![A-Za-z0-9_-])';
const hasDigitAndLetter = (value: string): boolean => /\d/.test(value) && /[A-Za-z]/.test(value);
/** Random keys mix digits, upper and lower case; names and prose (`sk-learn-estimator2`) do not. */
const looksRandom = (value: string): boolean =>
  /\d/.test(value) && /[a-z]/.test(value) && /[A-Z]/.test(value);

const PATTERNS: readonly SecretPattern[] = [
  {
    kind: 'private_key',
    pattern:
      /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END \1PRIVATE KEY(?: BLOCK)?-----|(?:\r?\n[A-Za-z0-9+/=]+)*)/g,
  },
  { kind: 'aws_access_key_id', pattern: new RegExp(`${B}(?:AKIA|ASIA)[A-Z0-9]{16}${E}`, 'g') },
  {
    kind: 'aws_secret_access_key',
    pattern: /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    accept: (value, text, start) =>
      /[a-z]/.test(value) &&
      /[A-Z]/.test(value) &&
      /[\d/+]/.test(value) &&
      /aws.{0,24}secret|secret.?access.?key|secretaccesskey/.test(
        before(text, start, 80).replace(/\s+/g, ' '),
      ),
  },
  { kind: 'gcp_api_key', pattern: new RegExp(`${B}AIza[0-9A-Za-z_-]{35}${E}`, 'g') },
  { kind: 'github_token', pattern: new RegExp(`${B}gh[pousr]_[A-Za-z0-9]{36,251}${E}`, 'g') },
  { kind: 'github_token', pattern: new RegExp(`${B}github_pat_[A-Za-z0-9_]{60,251}${E}`, 'g') },
  { kind: 'gitlab_token', pattern: new RegExp(`${B}glpat-[A-Za-z0-9_-]{20,}${E}`, 'g') },
  {
    kind: 'slack_token',
    pattern: new RegExp(`${B}xox[abprs]-(?:[A-Za-z0-9]+-)+[A-Za-z0-9]+${E}`, 'g'),
    accept: (value) => value.length >= 24 && /\d{6}/.test(value),
  },
  { kind: 'stripe_key', pattern: new RegExp(`${B}[rs]k_live_[A-Za-z0-9]{16,}${E}`, 'g') },
  {
    kind: 'anthropic_key',
    pattern: new RegExp(`${B}sk-ant-[A-Za-z0-9_-]{32,}${E}`, 'g'),
    accept: looksRandom,
  },
  {
    kind: 'openai_key',
    pattern: new RegExp(`${B}sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}${E}`, 'g'),
    accept: (value) => looksRandom(value.slice(3)),
  },
  {
    kind: 'jwt',
    pattern: new RegExp(`${B}eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*${E}`, 'g'),
    accept: (value) => jwtHeaderValid(value.slice(0, value.indexOf('.'))),
  },
  {
    kind: 'bearer_token',
    pattern: /\bBearer\s+([A-Za-z0-9_.~+/-]{16,}=*)/gi,
    group: 1,
    accept: hasDigitAndLetter,
  },
];

/** A JWT's first part decodes to a JSON object naming its algorithm (`alg`). */
function jwtHeaderValid(part: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return (
      typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

export function detectSecrets(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const { kind, pattern, group = 0, accept } of PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      let value = match[group];
      if (value === undefined) continue;
      // The captured group ends the match.
      const start = match.index + match[0].length - value.length;
      // A token at the end of a sentence; a key block's trailing line break.
      if (kind === 'bearer_token') value = value.replace(/\.+$/, '');
      if (kind === 'private_key') value = value.replace(/\s+$/, '');
      if (accept !== undefined && !accept(value, text, start)) continue;
      // Placeholders of a real prefix (`ghp_XXXX…`, `AKIAXXXX…`): random keys use many characters.
      if (kind !== 'private_key' && new Set(value).size < 10) continue;
      spans.push({ type: 'secret', start, end: start + value.length, value, kind });
    }
  }
  return spans;
}
