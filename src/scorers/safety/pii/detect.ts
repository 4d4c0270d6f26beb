import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { detectCreditCards } from './credit-card.js';
import { detectEmails } from './email.js';
import { detectIbans } from './iban.js';
import { detectIpAddresses, ipv6Groups } from './ip-address.js';
import { detectPhones } from './phone.js';
import { detectSecrets } from './secrets.js';
import { type DetectorOptions, PII_ENTITY_TYPES, type PiiEntityType, type PiiSpan } from './types.js';
import { detectUsSsns } from './us-ssn.js';

export interface DetectPiiOptions {
  /** The entity types to look for (default: all of `PII_ENTITY_TYPES`). */
  entities?: readonly PiiEntityType[];
  /** Region for phone numbers written without a country code, ISO 3166-1 alpha-2 (default `US`). */
  defaultRegion?: string;
}

const DETECTORS: Record<PiiEntityType, (text: string, options: DetectorOptions) => PiiSpan[]> = {
  email: detectEmails,
  phone: detectPhones,
  credit_card: detectCreditCards,
  iban: detectIbans,
  us_ssn: detectUsSsns,
  ip_address: detectIpAddresses,
  secret: detectSecrets,
};

/**
 * Which span stays when two overlap: the more specific type first (a card number is not also a phone
 * number; a token in a URL's user part is a secret, not an email), then the longer span.
 */
const PRECEDENCE: readonly PiiEntityType[] = [
  'secret',
  'credit_card',
  'iban',
  'us_ssn',
  'email',
  'ip_address',
  'phone',
];

/**
 * Finds emails, phone numbers, payment card numbers, IBANs, US SSNs, IP addresses and secrets in `text`
 * (the rules: docs/metrics.md). Returns non-overlapping spans in text order.
 */
export function detectPii(text: string, options: DetectPiiOptions = {}): PiiSpan[] {
  const detectorOptions: DetectorOptions = { defaultRegion: options.defaultRegion ?? 'US' };
  const candidates: PiiSpan[] = [];
  for (const type of options.entities ?? PII_ENTITY_TYPES)
    candidates.push(...DETECTORS[type](text, detectorOptions));
  candidates.sort(
    (a, b) =>
      PRECEDENCE.indexOf(a.type) - PRECEDENCE.indexOf(b.type) ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
  const kept: PiiSpan[] = [];
  for (const span of candidates) {
    if (kept.some((other) => span.start < other.end && other.start < span.end)) continue;
    kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * The form in which two spellings of one value compare equal: lower-cased emails; phone numbers in
 * E.164 (`(212) 555-0142` and `+1 212 555 0142` are one number); the digits of card numbers and SSNs;
 * IBANs without spaces, upper case; IPv6 addresses expanded; secrets as they are.
 */
export function normalizePiiValue(
  type: PiiEntityType,
  value: string,
  options: { defaultRegion?: string } = {},
): string {
  switch (type) {
    case 'email':
      return value.toLowerCase();
    case 'phone':
      return (
        parsePhoneNumberFromString(value, { defaultCountry: (options.defaultRegion ?? 'US') as CountryCode })
          ?.number ?? value.replace(/\D/g, '')
      );
    case 'credit_card':
    case 'us_ssn':
      return value.replace(/\D/g, '');
    case 'iban':
      return value.replace(/\s/g, '').toUpperCase();
    case 'ip_address': {
      const groups = value.includes(':') ? ipv6Groups(value) : undefined;
      return groups === undefined ? value.toLowerCase() : groups.map((group) => group.toString(16)).join(':');
    }
    case 'secret':
      return value;
  }
}
