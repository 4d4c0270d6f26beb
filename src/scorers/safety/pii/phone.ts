import { type CountryCode, findPhoneNumbersInText, type PhoneNumber } from 'libphonenumber-js/max';
import { before, type DetectorOptions, type PiiSpan } from './types.js';

// libphonenumber-js (its full "max" metadata, so `isValid()` checks each country's number ranges, not
// only lengths) finds the candidates; this file decides which are written AS phone numbers. A valid
// number in the numbering plan is not enough: `Order number 2125550143` is a valid New York number.
//
// - Written with a leading + (or an international prefix, `00` or the region's own, e.g. `011`) or with phone-style
//   grouping (spaces, dashes, dots, brackets): a phone number, unless an order/invoice/tracking word
//   stands right before it (and no phone word: `caller ID (212) 555-0142` is a phone number).
// - Bare digits (`2125550143`): a phone number only after a phone word (`call`, `tel`, `mobile`, …).
// - Written without a country code, the digit groups must be the country's own grouping or merge some of
//   its groups (libphonenumber's STRICT_GROUPING idea, which libphonenumber-js does not offer): US
//   `212-555-0142` or `212-5550142`, not `2023-000981` (a serial number that happens to be valid).

/** Words that make bare digits a phone number when they come shortly before them. */
const PHONE_CONTEXT =
  /\b(?:call|calls|called|calling|caller|phone|phones|tel|telephone|telefon|téléphone|teléfono|mobile|mobil|cell|cellphone|handy|móvil|portable|text|sms|whatsapp|signal|fax|dial|ring|contact|reach|number is)\b[^\d]{0,20}$/;
/** Words that make a number an identifier of something else, shortly before it. */
const IDENTIFIER_CONTEXT =
  /\b(?:order|orders|invoice|inv|tracking|track|shipment|parcel|ref|reference|ticket|case|serial|sn|s\/n|po|sku|upc|ean|isbn|account|acct|id|confirmation|booking|transaction|txn|receipt|part|item|version|build)\b[\s#:.no-]{0,6}$/;

export function detectPhones(text: string, options: DetectorOptions): PiiSpan[] {
  const spans: PiiSpan[] = [];
  const search = (input: string) =>
    findPhoneNumbersInText(input, { defaultCountry: options.defaultRegion as CountryCode });
  const found = search(text);
  // `0049 30 …` dials out with 00, the international prefix of most of the world but not of the default
  // region (US: 011): search again with each such 00 read as + (same length, so offsets hold).
  const dialled = text.replace(/(?<!\p{N})00(?=[1-9])/gu, ' +');
  if (dialled !== text) {
    for (const match of search(dialled)) {
      if (dialled[match.startsAt] === '+' && text.startsWith('00', match.startsAt - 1)) {
        found.push({ ...match, startsAt: match.startsAt - 1 });
      }
    }
  }
  const seen = new Set<string>();
  for (const { number, startsAt, endsAt } of found) {
    if (!number.isValid() || seen.has(`${startsAt}:${endsAt}`)) continue;
    seen.add(`${startsAt}:${endsAt}`);
    const value = text.slice(startsAt, endsAt);
    // Inside a longer run of digits or a word (`SN4155550100`, `1Z…`): part of another identifier.
    if (/[\p{L}\p{N}_]/u.test(text.charAt(startsAt - 1)) || /[\p{L}\p{N}_]/u.test(text.charAt(endsAt)))
      continue;
    if (
      /[-./]\d/.test(text.slice(endsAt, endsAt + 2)) ||
      /\d[-./]$/.test(text.slice(Math.max(0, startsAt - 2), startsAt))
    )
      continue;
    const context = before(text, startsAt, 40);
    const international = value.startsWith('+') || /^(?:00|011)[\s\d]/.test(value);
    const grouped = /[\s().-]/.test(value);
    if (international || grouped) {
      if (!international && !groupedAsNational(value, number)) continue;
      if (!international && IDENTIFIER_CONTEXT.test(context) && !PHONE_CONTEXT.test(context)) continue;
    } else if (!PHONE_CONTEXT.test(context)) continue;
    spans.push({ type: 'phone', start: startsAt, end: endsAt, value });
  }
  return spans;
}

/** The group boundaries of `value`, counted from its last digit, all fall where the national format has one. */
function groupedAsNational(value: string, number: PhoneNumber): boolean {
  const national = number.nationalNumber.length;
  const boundaries = (text: string): number[] => {
    const groups = text.match(/\d+/g) ?? [];
    const out: number[] = [];
    let fromEnd = 0;
    for (let i = groups.length - 1; i > 0; i--) {
      fromEnd += (groups[i] as string).length;
      // Boundaries inside the national prefix or country code (`1-800-…`, `0 30 …`) do not count.
      if (fromEnd < national) out.push(fromEnd);
    }
    return out;
  };
  const expected = new Set(boundaries(number.formatNational()));
  return boundaries(value).every((boundary) => expected.has(boundary));
}
