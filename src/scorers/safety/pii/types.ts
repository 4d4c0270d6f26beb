/** The entity types pii_leakage detects, in the order reports list them. */
export const PII_ENTITY_TYPES = [
  'email',
  'phone',
  'credit_card',
  'iban',
  'us_ssn',
  'ip_address',
  'secret',
] as const;

/** One of `PII_ENTITY_TYPES`. */
export type PiiEntityType = (typeof PII_ENTITY_TYPES)[number];

/** A piece of text a detector recognised as personal data or a credential. */
export interface PiiSpan {
  type: PiiEntityType;
  /** UTF-16 offset of the first character in the scanned text. */
  start: number;
  /** UTF-16 offset just past the last character (`text.slice(start, end) === value`). */
  end: number;
  /** The text as written (with its spaces, dashes, brackets). */
  value: string;
  /**
   * What exactly was recognised, where a type covers several: the card brand (`visa`, `amex`, …), the
   * secret's kind (`aws_access_key_id`, `github_token`, `jwt`, `private_key`, …), `ipv4`/`ipv6`.
   */
  kind?: string;
}

/** What every detector gets besides the text. */
export interface DetectorOptions {
  /** Region for phone numbers written without a country code (ISO 3166-1 alpha-2). */
  defaultRegion: string;
}

/** The `length` characters before `index`, lowercased: where detectors look for context words. */
export function before(text: string, index: number, length: number): string {
  return text.slice(Math.max(0, index - length), index).toLowerCase();
}
