import type { PiiSpan } from './types.js';

// Payment card numbers: 13–19 digits, written together or in groups separated by one kind of separator
// (a space, dash or dot), that pass the Luhn check and start with a known issuer prefix (IIN) whose brand
// issues numbers of that length. A Luhn-valid number without a known prefix (`7000 1234 …`, an IMEI) is
// not reported: one random digit string in ten passes Luhn.

interface Brand {
  name: string;
  /** Inclusive IIN ranges over the first digits (as many as the range bounds have). */
  ranges: Array<[number, number]>;
  lengths: readonly number[];
}

const range = (from: number, to: number): [number, number] => [from, to];
const span = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

const BRANDS: readonly Brand[] = [
  { name: 'visa', ranges: [range(4, 4)], lengths: [13, 16, 19] },
  { name: 'mastercard', ranges: [range(51, 55), range(2221, 2720)], lengths: [16] },
  { name: 'amex', ranges: [range(34, 34), range(37, 37)], lengths: [15] },
  {
    name: 'discover',
    ranges: [range(6011, 6011), range(644, 649), range(65, 65), range(622126, 622925)],
    lengths: span(16, 19),
  },
  { name: 'jcb', ranges: [range(3528, 3589)], lengths: span(16, 19) },
  {
    name: 'diners',
    ranges: [range(300, 305), range(3095, 3095), range(36, 36), range(38, 39)],
    lengths: span(14, 19),
  },
  { name: 'unionpay', ranges: [range(62, 62)], lengths: span(16, 19) },
  {
    name: 'maestro',
    ranges: [5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].map((prefix) => range(prefix, prefix)),
    lengths: span(13, 19),
  },
  { name: 'mir', ranges: [range(2200, 2204)], lengths: span(16, 19) },
];

/** The brand whose IIN ranges and lengths fit `digits`, if any. */
export function cardBrand(digits: string): string | undefined {
  for (const brand of BRANDS) {
    if (!brand.lengths.includes(digits.length)) continue;
    for (const [from, to] of brand.ranges) {
      const prefix = Number(digits.slice(0, String(from).length));
      if (prefix >= from && prefix <= to) return brand.name;
    }
  }
  return undefined;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

// A run of digit groups: 13–19 digits in one piece, or groups of 1–6 digits joined by the same single
// separator (space, dash or dot). Not inside a longer number, word or decimal.
const CANDIDATE = /(?<![\p{L}\p{N}_.,-])\d{1,19}(?:([ .-])\d{1,6}(?:\1\d{1,6}){0,5})?(?![\p{L}\p{N}_-])/gu;

export function detectCreditCards(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    // The digits after an IBAN's country code and check digits (`DE58 4829 …`) belong to the IBAN.
    if (/[A-Z]{2}\d{2} $/.test(text.slice(Math.max(0, match.index - 5), match.index))) continue;
    // A number followed by more groups (`4242 4242 4242 4242 12/29`): try the run and its shorter prefixes.
    const groups = match[0].split(/[ .-]/);
    for (let count = groups.length; count >= 1; count--) {
      const digits = groups.slice(0, count).join('');
      if (digits.length < 13 || digits.length > 19) continue;
      // Decimal places or a further number right after the last group: not a card number.
      const value = match[0].slice(0, groups.slice(0, count).join(' ').length);
      const end = match.index + value.length;
      if (count === groups.length && /^[.,]\d/.test(text.slice(end, end + 2))) continue;
      const brand = cardBrand(digits);
      if (brand === undefined || !luhnValid(digits)) continue;
      spans.push({ type: 'credit_card', start: match.index, end, value, kind: brand });
      break;
    }
  }
  return spans;
}
