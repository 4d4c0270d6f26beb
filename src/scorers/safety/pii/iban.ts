import type { PiiSpan } from './types.js';

// IBANs (ISO 13616): country code, two check digits, then the country's BBAN, whose length the SWIFT
// IBAN registry fixes per country. Valid when the length is the country's and the mod-97 check holds.
// Written electronically (`DE89370400440532013000`) or printed in groups of four (`DE89 3704 0044 …`),
// in upper or lower case (not mixed).

/** IBAN length per country, from the SWIFT IBAN registry (countries that issue IBANs). */
// biome-ignore format: a table reads better packed
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 7064 MOD 97-10 over the IBAN rearranged (first four characters moved to the end). */
export function ibanChecksumValid(compact: string): boolean {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    // Letters count as two digits: A = 10 … Z = 35.
    const value = code <= 57 ? code - 48 : code - 55;
    rest = (value > 9 ? rest * 100 + value : rest * 10 + value) % 97;
  }
  return rest === 1;
}

// Electronic: one run. Printed: groups of four, the last one 1–4 characters.
const CANDIDATE =
  /(?<![\p{L}\p{N}_])[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)(?![\p{L}\p{N}_])/gu;

export function detectIbans(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    // One case throughout: a mixed-case run is a token or an identifier, not an IBAN typed in lower case.
    if (match[0] !== match[0].toUpperCase() && match[0] !== match[0].toLowerCase()) continue;
    const country = match[0].slice(0, 2).toUpperCase();
    const length = IBAN_LENGTHS[country];
    if (length === undefined) continue;
    let value = match[0];
    if (value.includes(' ')) {
      // A printed IBAN followed by another upper-case group (`… 4135 21 BIC …` is cut by the lower
      // case, but `… 3000 AB12` is not): keep the groups up to the country's length.
      const cut = printedLength(length);
      if (value.length < cut || (value.length > cut && value[cut] !== ' ')) continue;
      value = value.slice(0, cut);
    } else if (value.length !== length) continue;
    if (!ibanChecksumValid(value.replace(/ /g, '').toUpperCase())) continue;
    spans.push({ type: 'iban', start: match.index, end: match.index + value.length, value, kind: country });
  }
  return spans;
}

/** Characters of an IBAN of `length` printed in groups of four. */
function printedLength(length: number): number {
  return length + Math.ceil(length / 4) - 1;
}
