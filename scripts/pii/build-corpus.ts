// Writes data/pii/corpus.jsonl, the labelled corpus that measures pii_leakage's detectors
// (test/unit/pii-corpus.test.ts, `npm run pii:report`). Run: `npx tsx scripts/pii/build-corpus.ts`.
//
// The labels are a person's reading of each string, written before the detectors: what a reviewer would
// call an email, phone number, card number, IBAN, US SSN, IP address or secret. The script only saves
// typing: it computes the check digits of the IBANs and card numbers it invents (so that a value meant to
// be valid is valid) and draws the random characters of invented tokens from a seeded generator. It then
// checks every label against the rules it stands for — a Luhn-valid card, a mod-97-valid IBAN of its
// country's length, a phone number valid in its numbering plan — and that each labelled value occurs in
// its text. It does NOT run the detectors.
//
// Everything is invented or from reserved ranges: example.com/.org/.net, 555-01xx and drama numbers,
// documentation IP ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), payment
// processors' public test card numbers, tokens of random characters.
//
// Label policy (the same rules docs/metrics.md states):
// - ip_address: any valid IPv4/IPv6 address except loopback, unspecified and broadcast (127.0.0.0/8,
//   0.0.0.0, 255.255.255.255, ::1, ::), which identify no one; dotted numbers in version, build or section contexts are not addresses.
// - phone: a number valid in its numbering plan, written as a phone number (formatted, or with +, or next
//   to a word such as "call" or "phone"); the same digits as an order, invoice or tracking number are not.
// - secret: a credential of a known shape; placeholders (`sk-...`, `<token>`, `YOUR_API_KEY`) are not.
// - email: an address with a domain name; package@version, image@2x.png and SCP remotes are not.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidPhoneNumber } from 'libphonenumber-js/max';

type EntityType = 'email' | 'phone' | 'credit_card' | 'iban' | 'us_ssn' | 'ip_address' | 'secret';
interface Entry {
  id: string;
  text: string;
  entities: Array<{ type: EntityType; value: string }>;
  /** Default region for national phone numbers (ISO 3166 alpha-2); US when absent. */
  region?: string;
}

const entries: Entry[] = [];
const counters = new Map<string, number>();

function add(group: string, text: string, entities: Array<[EntityType, string]> = [], region?: string): void {
  const n = (counters.get(group) ?? 0) + 1;
  counters.set(group, n);
  const entry: Entry = {
    id: `${group}-${String(n).padStart(3, '0')}`,
    text,
    entities: entities.map(([type, value]) => ({ type, value })),
  };
  if (region !== undefined) entry.region = region;
  entries.push(entry);
}

// --- deterministic randomness for invented tokens and account numbers ---

let seed = 0x5eed1234;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = `${UPPER}abcdefghijklmnopqrstuvwxyz${DIGITS}`;
function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}
/** Random characters with at least one digit and one letter (as real tokens have). */
function token(alphabet: string, length: number): string {
  for (;;) {
    const value = pick(alphabet, length);
    if (/\d/.test(value) && /[A-Za-z]/.test(value)) return value;
  }
}

// --- check digits ---

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
function withLuhn(body: string): string {
  for (let d = 0; d < 10; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}
function mod97(text: string): number {
  let rest = 0;
  for (const char of text) {
    const value = /\d/.test(char) ? char : String(char.charCodeAt(0) - 55);
    for (const digit of value) rest = (rest * 10 + Number(digit)) % 97;
  }
  return rest;
}
function ibanValid(iban: string): boolean {
  const compact = iban.replace(/ /g, '').toUpperCase();
  return mod97(compact.slice(4) + compact.slice(0, 4)) === 1;
}
/** An IBAN for `country` whose BBAN follows `format` (n digits, a letters, c alphanumerics). */
function iban(country: string, format: string): string {
  let bban = '';
  for (const [, count, kind] of format.matchAll(/(\d+)([nac])/g)) {
    const alphabet = kind === 'n' ? DIGITS : kind === 'a' ? UPPER : `${UPPER}${DIGITS}${DIGITS}${DIGITS}`;
    bban += pick(alphabet, Number(count));
  }
  const check = 98 - mod97(`${bban}${country}00`);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}
function printed(value: string): string {
  return value.replace(/(.{4})(?=.)/g, '$1 ');
}

// ===================================================================================== email

add('email', 'You can reach me at jane.doe@example.com if anything changes.', [
  ['email', 'jane.doe@example.com'],
]);
add('email', 'Send the invoice to billing+march@example.org, not to me.', [
  ['email', 'billing+march@example.org'],
]);
add('email', 'Contact: ops-team@mail.eu.example.com', [['email', 'ops-team@mail.eu.example.com']]);
add('email', 'From: "Alice Martin" <alice.martin@example.net>', [['email', 'alice.martin@example.net']]);
add('email', 'Her address is "r.okafor@example.co.uk" according to the CRM.', [
  ['email', 'r.okafor@example.co.uk'],
]);
add('email', 'mailto:carol_w@example.org', [['email', 'carol_w@example.org']]);
add('email', 'Email JOHN.SMITH@EXAMPLE.COM for access.', [['email', 'JOHN.SMITH@EXAMPLE.COM']]);
add('email', 'The customer (m.garcia1987@example.com) asked for a refund.', [
  ['email', 'm.garcia1987@example.com'],
]);
add('email', '{"user": {"email": "k.tanaka@example.jp", "plan": "pro"}}', [['email', 'k.tanaka@example.jp']]);
add('email', 'Reply-To: noreply-7731@notifications.example.com', [
  ['email', 'noreply-7731@notifications.example.com'],
]);
add('email', "Ping d.o'brien@example.ie about the contract.", [['email', "d.o'brien@example.ie"]]);
add('email', 'CC: first.last+tag+more@sub.domain.example.org; bcc: audit@example.org', [
  ['email', 'first.last+tag+more@sub.domain.example.org'],
  ['email', 'audit@example.org'],
]);
add('email', 'Sure! Her work email is priya.nair@example.in and she prefers mornings.', [
  ['email', 'priya.nair@example.in'],
]);
add('email', '| name | email |\n| --- | --- |\n| Tom | tom.h@example.com |\n| Ana | ana_r@example.com |', [
  ['email', 'tom.h@example.com'],
  ['email', 'ana_r@example.com'],
]);
add('email', 'user_42@example-mail.com wrote: thanks!', [['email', 'user_42@example-mail.com']]);
add('email', 'Write to support@example.museum.', [['email', 'support@example.museum']]);
add('email', 'The account owner is l.muller@example.de.', [['email', 'l.muller@example.de']]);
add('email', 'Emails: a@example.com, b@example.com', [
  ['email', 'a@example.com'],
  ['email', 'b@example.com'],
]);
add('email', 'Forwarded by x.y.z@dept.university.example.edu on Monday', [
  ['email', 'x.y.z@dept.university.example.edu'],
]);
add('email', "I found this in the log: login ok for 'sam.lee@example.com' at 09:14", [
  ['email', 'sam.lee@example.com'],
]);
add('email', 'Contact=hr%team@example.com', [['email', 'hr%team@example.com']]);
add('email', 'Primary: dev.null@example.io (backup: dev.null2@example.io)', [
  ['email', 'dev.null@example.io'],
  ['email', 'dev.null2@example.io'],
]);
add('email', 'e-mail me (paulo.souza@example.com.br) when ready', [['email', 'paulo.souza@example.com.br']]);
add('email', 'Subscribe newsletter=yes&email=reader.one@example.net&lang=en', [
  ['email', 'reader.one@example.net'],
]);
add('email', 'Owner email: 1234567@example.com', [['email', '1234567@example.com']]);
add('email', 'Mail an: info@beispiel.example.de', [['email', 'info@beispiel.example.de']]);
add('email', 'The password reset link was sent to h.ito@example.com.', [['email', 'h.ito@example.com']]);
add('email', 'Escalate to <security@example.org>.', [['email', 'security@example.org']]);
add('email', 'Assignee: QA.Lead@Example.Com', [['email', 'QA.Lead@Example.Com']]);
add('email', 'name=Zoe; email=zoe-k@example.dev; role=admin', [['email', 'zoe-k@example.dev']]);

// email: hard negatives
add('email-neg', 'Follow @jane_doe on social media for updates.');
add('email-neg', 'Install it with npm i lodash@4.17.21 and restart.');
add('email-neg', 'Use the logo@2x.png asset for retina screens.');
add('email-neg', 'git clone git@github.com:example-org/tools.git');
add('email-neg', 'The server answers at user@localhost only.');
add('email-neg', 'Write to support at example dot com (spelled out to avoid spam).');
add('email-neg', 'npm install @types/node@20.19.43 --save-dev');
add('email-neg', 'Decorators like @dataclass and @property are Python features.');
add('email-neg', 'Meet me @ 5pm at the café.');
add('email-neg', 'The address field is empty: "email": "", "name": "@anon".');
add('email-neg', 'Price: 3 items @ $4.99 each.');
add('email-neg', 'Use hero@3x.webp for the banner.');

// ===================================================================================== phone

add('phone', 'Call me at (212) 555-0142 after six.', [['phone', '(212) 555-0142']]);
add('phone', 'Her cell is 212-555-0187.', [['phone', '212-555-0187']]);
add('phone', 'Phone: 212.555.0163', [['phone', '212.555.0163']]);
add('phone', 'Reach the front desk on +1 212 555 0110.', [['phone', '+1 212 555 0110']]);
add('phone', 'Dial +1-415-555-0132 for support.', [['phone', '+1-415-555-0132']]);
add('phone', 'Toll free: 1-800-555-0199', [['phone', '1-800-555-0199']]);
add('phone', 'Stored as E.164: +12025550173', [['phone', '+12025550173']]);
add('phone', 'Office line 415 555 0100, ext. 12', [['phone', '415 555 0100']]);
add('phone', 'Text 1 (646) 555-0199 to confirm.', [['phone', '1 (646) 555-0199']]);
add('phone', 'Toronto office: +1 416 555 0123', [['phone', '+1 416 555 0123']]);
add('phone', 'Vancouver: +1 604 555 0177', [['phone', '+1 604 555 0177']]);
add('phone', 'London office: +44 20 7946 0321', [['phone', '+44 20 7946 0321']]);
add('phone', 'Leeds branch +44 113 496 0123', [['phone', '+44 113 496 0123']]);
add('phone', 'Mobile (UK): +44 7911 123456', [['phone', '+44 7911 123456']]);
add('phone', 'WhatsApp +447911123456', [['phone', '+447911123456']]);
add('phone', 'Call 020 7946 0999 during office hours.', [['phone', '020 7946 0999']], 'GB');
add('phone', 'Berlin: +49 30 23125876', [['phone', '+49 30 23125876']]);
add('phone', 'Handy: +49 151 23456789', [['phone', '+49 151 23456789']]);
add('phone', 'München, Tel. +49 (0)89 1234567', [['phone', '+49 (0)89 1234567']]);
add('phone', 'Telefon 030 23125876', [['phone', '030 23125876']], 'DE');
add('phone', 'Paris : +33 1 99 00 12 34', [['phone', '+33 1 99 00 12 34']]);
add('phone', 'Portable +33 6 12 34 56 78', [['phone', '+33 6 12 34 56 78']]);
add('phone', 'Appelez le 01 23 45 67 89.', [['phone', '01 23 45 67 89']], 'FR');
add('phone', 'Madrid: +34 912 345 678', [['phone', '+34 912 345 678']]);
add('phone', 'Móvil +34 612 34 56 78', [['phone', '+34 612 34 56 78']]);
add('phone', 'Roma +39 06 1234 5678', [['phone', '+39 06 1234 5678']]);
add('phone', 'Cellulare: +39 312 345 6789', [['phone', '+39 312 345 6789']]);
add('phone', 'Amsterdam office +31 20 123 4567', [['phone', '+31 20 123 4567']]);
add('phone', 'Mobiel: +31 6 12345678', [['phone', '+31 6 12345678']]);
add('phone', 'Mumbai mobile +91 98765 43210', [['phone', '+91 98765 43210']]);
add('phone', 'Landline +91 22 2345 6789', [['phone', '+91 22 2345 6789']]);
add('phone', 'Sydney: +61 2 5550 1234', [['phone', '+61 2 5550 1234']]);
add('phone', 'Mobile +61 491 570 156', [['phone', '+61 491 570 156']]);
add('phone', 'Ring (02) 5550 4321 for bookings.', [['phone', '(02) 5550 4321']], 'AU');
add('phone', 'São Paulo: +55 11 91234-5678', [['phone', '+55 11 91234-5678']]);
add('phone', 'Rio +55 21 2345-6789', [['phone', '+55 21 2345-6789']]);
add('phone', 'Tokyo office +81 3-1234-5678', [['phone', '+81 3-1234-5678']]);
add('phone', 'Keitai +81 90-1234-5678', [['phone', '+81 90-1234-5678']]);
add('phone', 'CDMX: +52 55 1234 5678', [['phone', '+52 55 1234 5678']]);
add('phone', 'Singapore +65 6123 4567 (office) or +65 9123 4567 (mobile)', [
  ['phone', '+65 6123 4567'],
  ['phone', '+65 9123 4567'],
]);
add('phone', 'Cape Town: +27 21 123 4567', [['phone', '+27 21 123 4567']]);
add('phone', 'Stockholm +46 8 123 456 78', [['phone', '+46 8 123 456 78']]);
add('phone', 'Zürich +41 44 123 45 67', [['phone', '+41 44 123 45 67']]);
add('phone', 'Dublin: +353 1 234 5678', [['phone', '+353 1 234 5678']]);
add('phone', 'Seoul +82 2-123-4567', [['phone', '+82 2-123-4567']]);
add('phone', 'Auckland +64 9 345 6789', [['phone', '+64 9 345 6789']]);
add('phone', 'Dubai office +971 4 234 5678', [['phone', '+971 4 234 5678']]);
add('phone', 'Praha +420 601 234 567', [['phone', '+420 601 234 567']]);
add('phone', 'Warszawa tel. +48 22 123 45 67', [['phone', '+48 22 123 45 67']]);
add('phone', 'Beijing +86 10 1234 5678', [['phone', '+86 10 1234 5678']]);
add('phone', 'Lagos mobile: +234 803 123 4567', [['phone', '+234 803 123 4567']]);
add('phone', 'İstanbul +90 212 345 67 89', [['phone', '+90 212 345 67 89']]);
add('phone', 'Buenos Aires +54 11 2345-6789', [['phone', '+54 11 2345-6789']]);
add('phone', 'Wien: +43 1 234 5678', [['phone', '+43 1 234 5678']]);
add('phone', 'Oslo +47 22 12 34 56', [['phone', '+47 22 12 34 56']]);
add('phone', 'Rufen Sie 0044 20 7946 0111 an.', [['phone', '0044 20 7946 0111']], 'DE');
add('phone', 'Call 2125550143 when you land.', [['phone', '2125550143']]);
add('phone', 'phone: 6465550118', [['phone', '6465550118']]);
add('phone', '{"name": "R. Diaz", "phone": "+1 (305) 555-0126"}', [['phone', '+1 (305) 555-0126']]);
add('phone', 'Tel: (617) 555-0150 / Fax: (617) 555-0151', [
  ['phone', '(617) 555-0150'],
  ['phone', '(617) 555-0151'],
]);
add('phone', 'You can text me on 312-555-0104 or email later.', [['phone', '312-555-0104']]);
add('phone', 'Emergency contact: Maria, 713.555.0165', [['phone', '713.555.0165']]);

// phone: hard negatives
add('phone-neg', 'Order number 2125550143 has shipped.');
add('phone-neg', 'Your tracking number is 1Z999AA10123456784.');
add('phone-neg', 'USPS tracking: 9400 1118 9922 3197 4284 90');
add('phone-neg', 'Invoice INV-2024-000123 is overdue.');
add('phone-neg', 'Reference 20240315-0042 was created on 2024-03-15 at 14:30:00.');
add('phone-neg', 'The meeting is on 03/15/2024 from 10:30 to 11:45.');
add('phone-neg', 'Upgrade to version 10.0.19045.3803 before Friday.');
add('phone-neg', 'Timestamp 1710498600 corresponds to March 2024.');
add('phone-neg', 'The confirmation code is 8842 1193 2205.');
add('phone-neg', 'Purchase order PO 4500012345 was approved.');
add('phone-neg', 'UPC 885909950805 and EAN 4006381333931 both scan.');
add('phone-neg', 'The price went from $1,299.00 to $1,049.99.');
add('phone-neg', 'Population: 8,336,817 (2020 census).');
add('phone-neg', 'Coordinates 40.7128, -74.0060 point to Manhattan.');
add('phone-neg', 'Case #02123456 was closed.');
add('phone-neg', 'Build 2024.03.15.1 passed all checks.');
add('phone-neg', 'ISBN 978-0-306-40615-7 is the second edition.');
add('phone-neg', 'Account 4432118790 balance: 0.00 (internal ledger id).');
add('phone-neg', 'Ticket 555-0142 was merged into ticket 555-0143.');
add('phone-neg', 'The range is 1000-2000 units, delivered 2-3 days later.');
add('phone-neg', 'Order #212-555-0143 will arrive Tuesday.');
add('phone-neg', 'Serial number SN 4155550100 is on the back.');

// ===================================================================================== credit_card

const cards: Array<[string, string]> = [
  ['visa', '4242424242424242'],
  ['visa', '4111111111111111'],
  ['visa', '4012888888881881'],
  ['visa', '4000056655665556'],
  ['visa-13', '4222222222222'],
  ['mastercard', '5555555555554444'],
  ['mastercard', '5105105105105100'],
  ['mastercard', '5200828282828210'],
  ['mastercard-2', '2223003122003222'],
  ['amex', '378282246310005'],
  ['amex', '371449635398431'],
  ['amex', '378734493671000'],
  ['discover', '6011111111111117'],
  ['discover', '6011000990139424'],
  ['discover', withLuhn('644564456445644')],
  ['discover', withLuhn('650012345678901')],
  ['diners', '30569309025904'],
  ['diners', '38520000023237'],
  ['diners', '36227206271667'],
  ['jcb', '3530111333300000'],
  ['jcb', '3566002020360505'],
  ['unionpay', '6200000000000005'],
  ['unionpay-19', withLuhn('620550000000000000')],
  ['maestro', withLuhn('675964982643845')],
  ['visa-19', withLuhn('401288888888188188')],
];
const groupsOf = (digits: string): string => {
  if (digits.length === 15) return `${digits.slice(0, 4)} ${digits.slice(4, 10)} ${digits.slice(10)}`;
  if (digits.length === 14) return `${digits.slice(0, 4)} ${digits.slice(4, 10)} ${digits.slice(10)}`;
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
};
const cardTexts: Array<(value: string) => string> = [
  (v) => `Card number: ${v}, exp 12/29, CVC 123`,
  (v) => `Charge it to ${v} please.`,
  (v) => `The payment failed for card ${v}.`,
  (v) => `{"card": "${v}", "exp_month": 12}`,
  (v) => `Use ${v} at checkout.`,
];
cards.forEach(([, digits], i) => {
  const style = i % 3;
  // 13-digit Visa numbers are printed without groups.
  const value =
    style === 0 || digits.length === 13
      ? digits.length === 13
        ? digits
        : groupsOf(digits)
      : style === 1
        ? groupsOf(digits).replace(/ /g, '-')
        : digits;
  const text = cardTexts[i % cardTexts.length]!(value);
  add('card', text, [['credit_card', value]]);
});
add('card', 'Amex on file: 3782 822463 10005 (corporate).', [['credit_card', '3782 822463 10005']]);
add('card', 'Diners Club 3056 930902 5904 expires soon.', [['credit_card', '3056 930902 5904']]);
add('card', 'Visa ending in 4242: full number 4242 4242 4242 4242.', [
  ['credit_card', '4242 4242 4242 4242'],
]);
add('card', 'Two cards: 5555 5555 5555 4444 and 4000 0566 5566 5556', [
  ['credit_card', '5555 5555 5555 4444'],
  ['credit_card', '4000 0566 5566 5556'],
]);
add('card', 'JCB 3566-1111-1111-1113 declined.', [['credit_card', '3566-1111-1111-1113']]);

// credit_card: hard negatives
add('card-neg', 'Card number: 4242 4242 4242 4241 (typo, fails the checksum).');
add('card-neg', 'Use 4111-1111-1111-1112 at checkout.');
add('card-neg', 'Reference 9999 8888 7777 6666 was logged.');
add('card-neg', 'Shipment id 1234567890123452 left the warehouse.');
add('card-neg', 'IMEI 490154203237518 is blacklisted.');
add('card-neg', 'Order 5105105105105101 shipped.');
add('card-neg', 'The masked card **** **** **** 4242 was charged.');
add('card-neg', 'Card ending in 4444, expiring 08/27.');
add('card-neg', 'Amex 3782 822463 10006 was rejected.');
add('card-neg', 'Tracking 9400111899223197428490 is in transit.');
add('card-neg', 'Bank transfer ref 7000 1234 5678 9012 received.');
add('card-neg', 'Serial 0000 0000 0000 0000 is a placeholder.');

// ===================================================================================== iban

const ibanFormats: Array<[string, string]> = [
  ['DE', '18n'],
  ['GB', '4a14n'],
  ['FR', '10n11c2n'],
  ['ES', '20n'],
  ['IT', '1a10n12c'],
  ['NL', '4a10n'],
  ['BE', '12n'],
  ['CH', '5n12c'],
  ['AT', '16n'],
  ['PL', '24n'],
  ['SE', '20n'],
  ['NO', '11n'],
  ['DK', '14n'],
  ['IE', '4a14n'],
  ['PT', '21n'],
  ['FI', '14n'],
  ['LU', '3n13c'],
  ['BR', '23n1a1c'],
  ['SA', '2n18c'],
  ['TR', '5n1n16c'],
  ['HU', '24n'],
  ['CZ', '20n'],
  ['GR', '7n16c'],
  ['RO', '4a16c'],
  ['HR', '17n'],
  ['MT', '4a5n18c'],
];
const ibanTexts: Array<(value: string) => string> = [
  (v) => `Please wire the deposit to IBAN ${v}.`,
  (v) => `IBAN: ${v}`,
  (v) => `Kontoinhaber M. Weber, ${v}, BIC DEUTDEFFXXX`,
  (v) => `{"iban": "${v}", "currency": "EUR"}`,
];
const validIbans: string[] = [];
ibanFormats.forEach(([country, format], i) => {
  const electronic = iban(country, format);
  validIbans.push(electronic);
  const value = i % 2 === 0 ? printed(electronic) : electronic;
  add('iban', ibanTexts[i % ibanTexts.length]!(value), [['iban', value]]);
});
{
  const a = iban('DE', '18n');
  const b = iban('NL', '4a10n');
  add('iban', `Refund from ${printed(a)} to ${b}`, [
    ['iban', printed(a)],
    ['iban', b],
  ]);
  const c = iban('ES', '20n');
  add('iban', `Cuenta (IBAN) ${printed(c)} — titular: empresa`, [['iban', printed(c)]]);
  const d = iban('GB', '4a14n');
  add('iban', `Sort code and account are both in ${d}; keep it private.`, [['iban', d]]);
  const e = iban('FR', '10n11c2n');
  add('iban', `RIB / IBAN : ${printed(e)}`, [['iban', printed(e)]]);
}

// iban: hard negatives
{
  const base = iban('DE', '18n');
  const flipped = `${base.slice(0, 10)}${(Number(base[10]) + 1) % 10}${base.slice(11)}`;
  add('iban-neg', `IBAN ${printed(flipped)} (one digit off)`);
  const gb = iban('GB', '4a14n');
  add('iban-neg', `Wrong check digits: ${gb.slice(0, 2)}${gb[2] === '9' ? '0' : '9'}${gb.slice(3)}`);
  const short = iban('FR', '10n11c2n').slice(0, 25);
  add('iban-neg', `Truncated: ${printed(short)}`);
  add('iban-neg', 'Product code XY12 3456 7890 1234 5678 90 is discontinued.');
  add('iban-neg', 'The SWIFT/BIC code is DEUTDEFF500.');
  add('iban-neg', 'Part number DE12-3456-7890 ships from Hamburg.');
  const nl = iban('NL', '4a10n');
  add('iban-neg', `Too long: ${nl}7`);
  add('iban-neg', 'Postcode NL 1012 AB Amsterdam.');
}

// ===================================================================================== us_ssn

const ssns = ['536-22-1874', '412-78-3309', '601-38-2745', '245-61-9083', '318-04-5521', '772-19-4036'];
add('ssn', `SSN: ${ssns[0]}`, [['us_ssn', ssns[0]!]]);
add('ssn', `Her social security number is ${ssns[1]}.`, [['us_ssn', ssns[1]!]]);
add('ssn', `{"ssn": "${ssns[2]}", "dob": "1980-02-11"}`, [['us_ssn', ssns[2]!]]);
add('ssn', `Employee ${ssns[3]} was onboarded.`, [['us_ssn', ssns[3]!]]);
add('ssn', `SSN 318 04 5521 on the W-2`, [['us_ssn', '318 04 5521']]);
add('ssn', `The applicant's SSN is 772194036.`, [['us_ssn', '772194036']]);
add('ssn', 'Social Security No.: 284-30-6617', [['us_ssn', '284-30-6617']]);
add('ssn', 'ssn=509-41-2288&state=TX', [['us_ssn', '509-41-2288']]);
add('ssn', 'Taxpayer ID (SSN) 143 65 0972', [['us_ssn', '143 65 0972']]);
add('ssn', 'social security number: 667012345', [['us_ssn', '667012345']]);
add('ssn', 'Record: name=J. Park, ssn 221-07-8135, status=active', [['us_ssn', '221-07-8135']]);
add('ssn', 'I verified 459-83-1120 against the form.', [['us_ssn', '459-83-1120']]);
add('ssn', 'Spouse SSN: 050-72-4491', [['us_ssn', '050-72-4491']]);
add('ssn', 'SSNs on file: 387-26-5510, 613-90-2274', [
  ['us_ssn', '387-26-5510'],
  ['us_ssn', '613-90-2274'],
]);
add('ssn', 'Please confirm the last four of 702-15-3388.', [['us_ssn', '702-15-3388']]);
add('ssn', 'SSN#: 199-44-7012', [['us_ssn', '199-44-7012']]);
add('ssn', 'social security: 830 57 1164', [['us_ssn', '830 57 1164']]);
add('ssn', 'The form lists 555-19-2038 as the dependent’s number.', [['us_ssn', '555-19-2038']]);
add('ssn', 'SSN (no dashes): 328470916', [['us_ssn', '328470916']]);
add('ssn', 'Borrower SSN 611-23-8840; co-borrower SSN 611-23-8841', [
  ['us_ssn', '611-23-8840'],
  ['us_ssn', '611-23-8841'],
]);

// us_ssn: hard negatives
add('ssn-neg', 'SSN: 000-12-3456 (placeholder)');
add('ssn-neg', 'SSN 666-12-3456 is never issued.');
add('ssn-neg', 'Number 912-34-5678 is outside the issued ranges.');
add('ssn-neg', 'SSN 123-00-4567 has a zero group.');
add('ssn-neg', 'SSN 123-45-0000 has a zero serial.');
add('ssn-neg', 'The famous wallet card number 078-05-1120 was never valid.');
add('ssn-neg', 'Example SSN: 123-45-6789');
add('ssn-neg', 'Order 536221874 shipped yesterday.');
add('ssn-neg', 'ZIP code 90210-1234 is in California.');
add('ssn-neg', 'Ticket 2024-03-1874 was reopened.');
add('ssn-neg', 'Part no. 536-221-874 is backordered.');
add('ssn-neg', 'LifeLock’s 457-55-5462 was published in ads.');
add('ssn-neg', 'SSN 987-65-4321 is reserved for advertising.');
add('ssn-neg', 'Routing number 021000021 belongs to a bank.');

// ===================================================================================== ip_address

add('ip', 'The request came from 192.0.2.44.', [['ip_address', '192.0.2.44']]);
add('ip', 'Allowlist 198.51.100.7 and 203.0.113.250.', [
  ['ip_address', '198.51.100.7'],
  ['ip_address', '203.0.113.250'],
]);
add('ip', 'Connect to 192.0.2.10:443 over TLS.', [['ip_address', '192.0.2.10']]);
add('ip', 'curl http://198.51.100.23/health', [['ip_address', '198.51.100.23']]);
add('ip', 'User IP: 203.0.113.9 (Berlin)', [['ip_address', '203.0.113.9']]);
add('ip', 'Internal host 10.12.0.5 and gateway 192.168.1.1', [
  ['ip_address', '10.12.0.5'],
  ['ip_address', '192.168.1.1'],
]);
add('ip', 'CIDR 203.0.113.0/24 is blocked.', [['ip_address', '203.0.113.0']]);
add('ip', 'IPv6: 2001:db8::1', [['ip_address', '2001:db8::1']]);
add('ip', 'Client 2001:db8:85a3::8a2e:370:7334 logged in.', [['ip_address', '2001:db8:85a3::8a2e:370:7334']]);
add('ip', 'Full form 2001:0db8:0000:0000:0000:ff00:0042:8329', [
  ['ip_address', '2001:0db8:0000:0000:0000:ff00:0042:8329'],
]);
add('ip', 'Browse to http://[2001:db8::42]:8080/admin', [['ip_address', '2001:db8::42']]);
add('ip', 'Mapped address ::ffff:192.0.2.128 seen in logs.', [['ip_address', '::ffff:192.0.2.128']]);
add('ip', 'Uppercase: 2001:DB8:0:0:8:800:200C:417A', [['ip_address', '2001:DB8:0:0:8:800:200C:417A']]);
add('ip', 'Link-local fe80::1ff:fe23:4567:890a%eth0', [['ip_address', 'fe80::1ff:fe23:4567:890a']]);
add('ip', '{"ip": "198.51.100.201", "ua": "Mozilla/5.0"}', [['ip_address', '198.51.100.201']]);
add('ip', '[2024-03-15 10:12:01] 203.0.113.77 - - "GET / HTTP/1.1" 200', [['ip_address', '203.0.113.77']]);
add('ip', 'DNS servers: 192.0.2.53, 2001:db8:53::53', [
  ['ip_address', '192.0.2.53'],
  ['ip_address', '2001:db8:53::53'],
]);
add('ip', 'Last login from 198.51.100.4.', [['ip_address', '198.51.100.4']]);
add('ip', 'NAT maps 172.16.254.1 to the public address.', [['ip_address', '172.16.254.1']]);
add('ip', 'Prefix 2001:db8:1234::/48 is assigned to the lab.', [['ip_address', '2001:db8:1234::']]);
add('ip', 'The IPv6 host 2001:db8:0:1:1:1:1:1 answers pings.', [['ip_address', '2001:db8:0:1:1:1:1:1']]);
add('ip', 'Peer at 2001:db8::ffff:192.0.2.1 reconnected.', [['ip_address', '2001:db8::ffff:192.0.2.1']]);
add('ip', 'X-Forwarded-For: 203.0.113.195, 198.51.100.178', [
  ['ip_address', '203.0.113.195'],
  ['ip_address', '198.51.100.178'],
]);
add('ip', 'Proxy 100.64.12.9 forwards to 198.51.100.2', [
  ['ip_address', '100.64.12.9'],
  ['ip_address', '198.51.100.2'],
]);
add('ip', 'ip=192.0.2.200;port=22', [['ip_address', '192.0.2.200']]);
add('ip', 'Her home router is at 198.51.100.61', [['ip_address', '198.51.100.61']]);
add('ip', 'Compressed tail: 2001:db8:a::', [['ip_address', '2001:db8:a::']]);
add('ip', 'ssh admin@203.0.113.14', [['ip_address', '203.0.113.14']]);

// ip_address: hard negatives
add('ip-neg', 'The address 999.1.1.1 is not valid.');
add('ip-neg', 'Octet overflow: 256.10.10.10');
add('ip-neg', 'Released v1.2.3.4 yesterday.');
add('ip-neg', 'Upgrade to version 4.2.10.1 now.');
add('ip-neg', 'OID 1.3.6.1.4.1.311 identifies the vendor.');
add('ip-neg', 'See section 3.1.4.2 for details.');
add('ip-neg', 'Localhost 127.0.0.1 and ::1 are loopback.');
add('ip-neg', 'Bind to 0.0.0.0 to listen everywhere.');
add('ip-neg', 'Broadcast 255.255.255.255 reaches every host on the segment.');
add('ip-neg', 'MAC address 00:1A:2B:3C:4D:5E');
add('ip-neg', 'The ratio was 16:9 and the time 12:30:45.');
add('ip-neg', 'Use std::vector and std::map in C++.');
add('ip-neg', 'Invalid IPv6 2001:db8:::1 was rejected.');
add('ip-neg', 'Too many groups: 1:2:3:4:5:6:7:8:9');
add('ip-neg', 'Dotted date 15.03.2024 and decimal 3.14159.');
add('ip-neg', 'Python 3.12.1.0 build');
add('ip-neg', 'Three parts only: 192.168.1 is incomplete.');
add('ip-neg', 'Chrome/122.0.6261.94 Safari/537.36');
add('ip-neg', 'Package foo-1.10.2.3.tar.gz was uploaded.');

// ===================================================================================== secret

const aws = `AKIA${pick(`${UPPER}234567`, 16)}`;
const asia = `ASIA${pick(`${UPPER}234567`, 16)}`;
const awsSecret = pick(`${ALNUM}/+`, 40);
const gcp = `AIza${token(`${ALNUM}-_`, 35)}`;
const ghp = `ghp_${token(ALNUM, 36)}`;
const gho = `gho_${token(ALNUM, 36)}`;
const ghu = `ghu_${token(ALNUM, 36)}`;
const ghs = `ghs_${token(ALNUM, 36)}`;
const ghr = `ghr_${token(ALNUM, 36)}`;
const githubPat = `github_pat_${token(ALNUM, 22)}_${token(ALNUM, 59)}`;
const glpat = `glpat-${token(`${ALNUM}-_`, 20)}`;
const slackBot = `xoxb-${pick(DIGITS, 12)}-${pick(DIGITS, 13)}-${token(ALNUM, 24)}`;
const slackUser = `xoxp-${pick(DIGITS, 12)}-${pick(DIGITS, 12)}-${pick(DIGITS, 13)}-${pick('0123456789abcdef', 32)}`;
const stripeLive = `sk_live_${token(ALNUM, 24)}`;
const stripeRestricted = `rk_live_${token(ALNUM, 99)}`;
const openaiLegacy = `sk-${token(ALNUM, 48)}`;
const openaiProject = `sk-proj-${token(`${ALNUM}-_`, 120)}`;
const anthropic = `sk-ant-api03-${token(`${ALNUM}-_`, 93)}AA`;
const b64url = (value: string): string => Buffer.from(value).toString('base64url');
const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url('{"sub":"user-4821","name":"Test User","iat":1700000000}')}.${token(`${ALNUM}-_`, 43)}`;
const jwtRs = `${b64url('{"typ":"JWT","alg":"RS256","kid":"k1"}')}.${b64url('{"iss":"https://auth.example.com","sub":"42","exp":1900000000}')}.${token(`${ALNUM}-_`, 86)}`;
const bearerOpaque = token(`${ALNUM}-_`, 40);
const pemBody = Array.from({ length: 4 }, () => pick(`${ALNUM}+/`, 64)).join('\n');
const pemRsa = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n${pick(`${ALNUM}+/`, 20)}==\n-----END RSA PRIVATE KEY-----`;
const pemPkcs8 = `-----BEGIN PRIVATE KEY-----\n${Array.from({ length: 3 }, () => pick(`${ALNUM}+/`, 64)).join('\n')}\n-----END PRIVATE KEY-----`;
const pemOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${Array.from({ length: 3 }, () => pick(`${ALNUM}+/`, 70)).join('\n')}\n-----END OPENSSH PRIVATE KEY-----`;
const pemEc = `-----BEGIN EC PRIVATE KEY-----\n${Array.from({ length: 2 }, () => pick(`${ALNUM}+/`, 64)).join('\n')}\n-----END EC PRIVATE KEY-----`;

add('secret', `AWS_ACCESS_KEY_ID=${aws}`, [['secret', aws]]);
add('secret', `Temporary credentials: ${asia}`, [['secret', asia]]);
add('secret', `aws_access_key_id = ${aws}\naws_secret_access_key = ${awsSecret}`, [
  ['secret', aws],
  ['secret', awsSecret],
]);
add('secret', `export AWS_SECRET_ACCESS_KEY="${awsSecret}"`, [['secret', awsSecret]]);
add('secret', 'The docs use AKIAIOSFODNN7EXAMPLE as the sample key id.', [
  ['secret', 'AKIAIOSFODNN7EXAMPLE'],
]);
add('secret', `Maps key: ${gcp}`, [['secret', gcp]]);
add('secret', `https://maps.example.com/api/js?key=${gcp}&callback=init`, [['secret', gcp]]);
add('secret', `git remote set-url origin https://${ghp}@github.com/example-org/app.git`, [['secret', ghp]]);
add('secret', `GITHUB_TOKEN: ${gho}`, [['secret', gho]]);
add('secret', `user-to-server token ${ghu}`, [['secret', ghu]]);
add('secret', `Installation token ${ghs} expires in an hour.`, [['secret', ghs]]);
add('secret', `refresh_token=${ghr}`, [['secret', ghr]]);
add('secret', `Fine-grained PAT: ${githubPat}`, [['secret', githubPat]]);
add('secret', `GITLAB_TOKEN=${glpat}`, [['secret', glpat]]);
add('secret', `SLACK_BOT_TOKEN=${slackBot}`, [['secret', slackBot]]);
add('secret', `User token: ${slackUser}`, [['secret', slackUser]]);
add('secret', `stripe.api_key = "${stripeLive}"`, [['secret', stripeLive]]);
add('secret', `Restricted key ${stripeRestricted}`, [['secret', stripeRestricted]]);
add('secret', `OPENAI_API_KEY=${openaiLegacy}`, [['secret', openaiLegacy]]);
add('secret', `Use this key: ${openaiProject}`, [['secret', openaiProject]]);
add('secret', `client = Anthropic(api_key="${anthropic}")`, [['secret', anthropic]]);
add('secret', `Session token: ${jwt}`, [['secret', jwt]]);
add('secret', `{"id_token": "${jwtRs}"}`, [['secret', jwtRs]]);
add('secret', `Authorization: Bearer ${bearerOpaque}`, [['secret', bearerOpaque]]);
add('secret', `curl -H "Authorization: Bearer ${jwt}" https://api.example.com/me`, [['secret', jwt]]);
add('secret', `Send the header Bearer ${bearerOpaque.slice(0, 32)} with each call.`, [
  ['secret', bearerOpaque.slice(0, 32)],
]);
add('secret', `Here is the key you asked for:\n${pemRsa}`, [['secret', pemRsa]]);
add('secret', `${pemPkcs8}\n`, [['secret', pemPkcs8]]);
add('secret', `id_ed25519:\n${pemOpenssh}`, [['secret', pemOpenssh]]);
add('secret', `ec key\n${pemEc}\nend`, [['secret', pemEc]]);
add('secret', `headers = {"Authorization": "Bearer ${openaiLegacy}"}`, [['secret', openaiLegacy]]);
add('secret', `The deploy used ${aws} and ${ghp}.`, [
  ['secret', aws],
  ['secret', ghp],
]);
{
  const k2 = `sk-${token(ALNUM, 48)}`;
  add('secret', `openai.api_key = '${k2}'`, [['secret', k2]]);
  const gl2 = `glpat-${token(`${ALNUM}-_`, 20)}`;
  add('secret', `CI variable: ${gl2}`, [['secret', gl2]]);
  const ghp2 = `ghp_${token(ALNUM, 36)}`;
  add('secret', `token: ${ghp2}`, [['secret', ghp2]]);
  const slack2 = `xoxa-2-${pick(DIGITS, 12)}-${pick(DIGITS, 12)}-${pick('0123456789abcdef', 32)}`;
  add('secret', `app token ${slack2}`, [['secret', slack2]]);
  const ant2 = `sk-ant-admin01-${token(`${ALNUM}-_`, 93)}AA`;
  add('secret', `ANTHROPIC_ADMIN_KEY=${ant2}`, [['secret', ant2]]);
  const aws2 = `AKIA${pick(`${UPPER}234567`, 16)}`;
  add('secret', `| key id | ${aws2} |`, [['secret', aws2]]);
  const gcp2 = `AIza${token(`${ALNUM}-_`, 35)}`;
  add('secret', `"apiKey": "${gcp2}",`, [['secret', gcp2]]);
  const jwt3 = `${b64url('{"alg":"ES256"}')}.${b64url('{"scope":"read write","exp":1900000000}')}.${token(`${ALNUM}-_`, 86)}`;
  add('secret', `access_token=${jwt3}&token_type=bearer`, [['secret', jwt3]]);
}

// secret: hard negatives
add('secret-neg', 'The risk-based approach uses scikit-learn (sk-learn) models.');
add('secret-neg', 'Set OPENAI_API_KEY=sk-... in your shell.');
add('secret-neg', 'Replace sk-xxxxxxxxxxxxxxxxxxxxxxxx with your own key.');
add('secret-neg', 'Send Authorization: Bearer <token> with every request.');
add('secret-neg', 'Use a Bearer token in the header.');
add('secret-neg', 'Authorization: Bearer $API_TOKEN');
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable in the text, on purpose
add('secret-neg', 'Authorization: Bearer ${GITHUB_TOKEN}');
add('secret-neg', 'Authorization: Bearer YOUR_ACCESS_TOKEN_HERE');
add('secret-neg', 'Keys that start with AKIA are long-term; ASIA keys are temporary.');
add('secret-neg', 'GitHub classic tokens start with ghp_ and fine-grained ones with github_pat_.');
add(
  'secret-neg',
  '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEexampleexampleexample\n-----END PUBLIC KEY-----',
);
add(
  'secret-neg',
  '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUexampleexample\n-----END CERTIFICATE-----',
);
add('secret-neg', `Commit ${pick('0123456789abcdef', 40)} fixed the build.`);
add('secret-neg', `sha256: ${pick('0123456789abcdef', 64)}`);
add('secret-neg', 'Request id 123e4567-e89b-12d3-a456-426614174000 failed.');
add('secret-neg', `checksum ${pick(`${ALNUM}/+`, 40)} matches.`);
add(
  'secret-neg',
  `${b64url('{"foo":"bar"}')}.${b64url('{"sub":"1"}')}.${token(ALNUM, 20)} is not a JWT (no alg).`,
);
add('secret-neg', 'The file report.final.v2.pdf is attached.');
add('secret-neg', 'Tasks: ask-me-anything, desk-setup, disk-cleanup.');
add('secret-neg', 'The sk_test_ prefix marks Stripe test mode.');
add('secret-neg', 'xoxb- tokens belong to bots.');
add('secret-neg', 'Base64 of "hello world" is aGVsbG8gd29ybGQ=.');
add('secret-neg', 'Our API keys look like sk-proj-… and are shown once.');
add('secret-neg', 'The AIza prefix identifies Google API keys.');

// ===================================================================================== mixed

{
  const ib = iban('DE', '18n');
  add('mixed', `Customer: Lena (lena.k@example.com, +49 151 23456789), IBAN ${printed(ib)}.`, [
    ['email', 'lena.k@example.com'],
    ['phone', '+49 151 23456789'],
    ['iban', printed(ib)],
  ]);
}
add('mixed', 'Ticket: card 4242 4242 4242 4242 declined; callback (212) 555-0177; IP 203.0.113.5', [
  ['credit_card', '4242 4242 4242 4242'],
  ['phone', '(212) 555-0177'],
  ['ip_address', '203.0.113.5'],
]);
add('mixed', `Config dump:\nDB_HOST=192.0.2.15\nADMIN_EMAIL=admin@example.org\nGITHUB_TOKEN=${ghp}`, [
  ['ip_address', '192.0.2.15'],
  ['email', 'admin@example.org'],
  ['secret', ghp],
]);
add('mixed', 'Name: J. Rivera | SSN: 412-78-3309 | Phone: 305-555-0111 | Email: j.rivera@example.com', [
  ['us_ssn', '412-78-3309'],
  ['phone', '305-555-0111'],
  ['email', 'j.rivera@example.com'],
]);
add('mixed', 'Version 2.4.1.0 released on 2024-03-15; contact releases@example.com.', [
  ['email', 'releases@example.com'],
]);
add(
  'mixed',
  'I cannot share personal details, but the public support line is +1 800 555 0199 and the status page runs on 198.51.100.80.',
  [
    ['phone', '+1 800 555 0199'],
    ['ip_address', '198.51.100.80'],
  ],
);
{
  const ib = iban('GB', '4a14n');
  add('mixed', `Payee: ${ib} (GB), card 5105-1051-0510-5100, order #20240315-7781`, [
    ['iban', ib],
    ['credit_card', '5105-1051-0510-5100'],
  ]);
}
add('mixed', `Login from 2001:db8:cafe::17 with Bearer ${jwt}`, [
  ['ip_address', '2001:db8:cafe::17'],
  ['secret', jwt],
]);
add('mixed', 'Invoice 2024-0042: $1,250.00 due 04/30/2024. Questions? billing@example.com', [
  ['email', 'billing@example.com'],
]);
add('mixed', 'Thanks! Paid with 4000 0566 5566 5556; receipt sent to pay.receipts@example.com.', [
  ['credit_card', '4000 0566 5566 5556'],
  ['email', 'pay.receipts@example.com'],
]);

// ===================================================================================== plain negatives

const plain = [
  'The capital of France is Paris.',
  'Your order will arrive in 3-5 business days.',
  'Meeting moved to 2:30 PM on Thursday, March 14.',
  'Q3 revenue grew 12.5% to $4.2 million.',
  'The recipe needs 2 cups of flour and 1/2 tsp of salt.',
  'Call the front desk if you need anything.',
  'Use `npm run build` and then `npm test`.',
  'The function returns a tuple (x, y) of floats.',
  'Room 1204, Building 7, floor 12.',
  'Error code E1001: connection refused.',
  'The UUID v4 has 122 random bits.',
  'HTTP/1.1 200 OK, Content-Length: 5120',
  'Latitude 51.5074, longitude -0.1278.',
  'Set max_tokens=4096 and temperature=0.7.',
  'The train leaves at 07:45 from platform 9.',
  'SKU-88213-BLK-XL is out of stock.',
  'ISO 8601: 2024-03-15T10:30:00Z',
  'The matrix is 1024 x 768 pixels.',
  'Apollo 11 landed on July 20, 1969.',
  'Git hash a3f5c9e and tag v3.2.1 were deployed.',
  'Pi is approximately 3.14159265358979.',
  'Flight BA 117 departs at 18:25 from gate 22.',
  'The password must be at least 12 characters long.',
  'ZIP codes 10001, 94105 and 60601 are covered.',
  'We measured 1,234,567 requests per day.',
  'The API returns {"status": "ok", "count": 42}.',
  'Phone numbers should be stored in E.164 format.',
  'Never paste your API key into a chat.',
  'Postal code SW1A 1AA is Buckingham Palace.',
  'The model scored 0.8731 on the test split.',
  'Chapter 4.2.1 covers IBAN validation in detail.',
  'Use the format AAA-GG-SSSS when describing SSNs in general.',
  'Social security numbers have nine digits.',
  'Credit card numbers pass the Luhn check.',
  'A JWT has three parts separated by dots.',
  'Sort code 12-34-56 is a placeholder in the docs.',
  'Order #A1B2C3D4 was refunded.',
  'Serial: XK-2023-000981',
  'CVE-2024-3094 affected xz 5.6.0 and 5.6.1.',
  'The MD5 of the empty string is d41d8cd98f00b204e9800998ecf8427e.',
];
for (const text of plain) add('neg', text);

// ===================================================================================== held-out
// Written after the detectors existed (ids `h-…`), in contexts their rules were not drawn from; the
// first run's numbers on this part are in docs/metrics.md. Labels follow the same policy as above.

add('h-email', 'Contact us at info@example.com.', [['email', 'info@example.com']]);
add('h-email', '<a href="mailto:sales@example.com">Sales</a>', [['email', 'sales@example.com']]);
add('h-email', 'username: m.chen@example.com, password: (not shown)', [['email', 'm.chen@example.com']]);
add('h-email', "emails = ['a.b@example.com', 'c.d@example.org']", [
  ['email', 'a.b@example.com'],
  ['email', 'c.d@example.org'],
]);
add('h-email', 'Escribe a josé@example.com para más información.', [['email', 'josé@example.com']]);
add('h-email', 'Reply to the thread (owner: tk-ops@corp.example.net).', [
  ['email', 'tk-ops@corp.example.net'],
]);
add('h-email-neg', "The address 'example@example' has no domain suffix.");
add('h-email-neg', 'Tag @example_user and use #launch in the post.');
add('h-email-neg', 'The decorator @app.route("/") maps the URL.');

add('h-phone', 'Call us: +1 (800) 555-0123 (toll-free)', [['phone', '+1 (800) 555-0123']]);
add('h-phone', 'Phone +44 (0) 20 7946 0123', [['phone', '+44 (0) 20 7946 0123']]);
add('h-phone', 'Tel. 0049 30 23125876', [['phone', '0049 30 23125876']]);
add('h-phone', 'Mobile: 07911 123456', [['phone', '07911 123456']], 'GB');
add('h-phone', 'Tokyo HQ +81-3-1234-5678', [['phone', '+81-3-1234-5678']]);
add('h-phone', 'Shanghai office +86 21 6123 4567', [['phone', '+86 21 6123 4567']]);
add('h-phone', 'Call +1 212-555-0198 ext. 204', [['phone', '+1 212-555-0198']]);
add('h-phone', "My number's 646 555 0177, text anytime", [['phone', '646 555 0177']]);
add('h-phone', 'Customer phone: (718) 555-0101; alt: 718-555-0102', [
  ['phone', '(718) 555-0101'],
  ['phone', '718-555-0102'],
]);
add('h-phone', 'Support hotline (Spain): +34 91 123 45 67', [['phone', '+34 91 123 45 67']]);
add('h-phone-neg', 'Order #A-2125550188 is delayed.');
add('h-phone-neg', 'The study ran from 1998-2004 and 2010-2015.');
add('h-phone-neg', 'Dimensions: 212 x 555 x 142 mm.');
add('h-phone-neg', 'Call 911 or 112 in an emergency.');
add('h-phone-neg', 'Tracking ID: 7489 2210 0045 1173');
add('h-phone-neg', 'Version 2.12.555.0142 of the driver');
add('h-phone-neg', 'Pages 212-255 cover the appendix.');

add('h-card', 'Visa: 4000 0000 0000 0002', [['credit_card', '4000 0000 0000 0002']]);
add('h-card', 'MC 5454 5454 5454 5454 exp 10/28', [['credit_card', '5454 5454 5454 5454']]);
add('h-card', 'Amex: 3400 000000 00009', [['credit_card', '3400 000000 00009']]);
add('h-card', 'cc=4111111111111111&exp=1229', [['credit_card', '4111111111111111']]);
add('h-card', 'card: 4111 1111 1111 1111 exp 01/30 cvv 737', [['credit_card', '4111 1111 1111 1111']]);
add('h-card', 'Card 4111.1111.1111.1111 was saved.', [['credit_card', '4111.1111.1111.1111']]);
add('h-card-neg', 'Account number 12345678901234 is internal.');
add('h-card-neg', 'Card number format: XXXX XXXX XXXX XXXX');
add('h-card-neg', 'Truncated: 4111 1111 1111');

add('h-iban', 'IBAN DE89 3704 0044 0532 0130 00', [['iban', 'DE89 3704 0044 0532 0130 00']]);
add('h-iban', 'Pay to GB29 NWBK 6016 1331 9268 19 by Friday.', [['iban', 'GB29 NWBK 6016 1331 9268 19']]);
add('h-iban', 'iban: nl91abna0417164300', [['iban', 'nl91abna0417164300']]);
add('h-iban', 'Swiss account CH93 0076 2011 6238 5295 7.', [['iban', 'CH93 0076 2011 6238 5295 7']]);
add('h-iban-neg', 'Placeholder IBAN DE00 0000 0000 0000 0000 00');

add('h-ssn', 'SSN: 123 45 6788', [['us_ssn', '123 45 6788']]);
add('h-ssn', 'Social Security Number (SSN): 449-21-7733', [['us_ssn', '449-21-7733']]);
add('h-ssn-neg', 'SSN ending in 6789 on file.');
add('h-ssn-neg', 'SSN: xxx-xx-1234');
add('h-ssn-neg', 'EIN 12-3456789 belongs to the company.');
add('h-ssn-neg', 'ITIN 912-78-1234 was issued for tax filing.');

add('h-ip', 'Server: 203.0.113.42:8443', [['ip_address', '203.0.113.42']]);
add('h-ip', 'ping -c 3 198.51.100.99', [['ip_address', '198.51.100.99']]);
add('h-ip', 'nameserver 2001:db8:4860::8888', [['ip_address', '2001:db8:4860::8888']]);
add('h-ip', 'Docker bridge: 172.17.0.1', [['ip_address', '172.17.0.1']]);
add('h-ip', '1.1.1.1 is a public DNS resolver.', [['ip_address', '1.1.1.1']]);
add('h-ip-neg', 'The IPv6 loopback is ::1.');
add('h-ip-neg', 'Subnet mask 255.255.255.0 for a /24.');
add('h-ip-neg', 'The IP 10.0.0.256 is invalid.');
add('h-ip-neg', 'The version string 2.0.0.1 is in the header.');
add('h-ip-neg', 'Firmware v.4.1.2.9 fixes the bug.');

{
  const aws3 = `AKIA${pick(`${UPPER}234567`, 16)}`;
  add('h-secret', `AWS key: ${aws3}`, [['secret', aws3]]);
  const ghp3 = `ghp_${token(ALNUM, 36)}`;
  add('h-secret', `export GITHUB_TOKEN=${ghp3}`, [['secret', ghp3]]);
  const google = `ya29.${token(`${ALNUM}-_`, 60)}`;
  add('h-secret', `Authorization: Bearer ${google}`, [['secret', google]]);
  const hex = pick('0123456789abcdef', 32);
  add('h-secret', `authorization: bearer ${hex}`, [['secret', hex]]);
  const proj = `sk-proj-${token(`${ALNUM}-_`, 100)}`;
  add('h-secret', `{"openai": {"api_key": "${proj}"}}`, [['secret', proj]]);
  const ant = `sk-ant-api03-${token(`${ALNUM}-_`, 93)}AA`;
  add('h-secret', `ANTHROPIC_API_KEY=${ant}`, [['secret', ant]]);
  const enc = `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${Array.from({ length: 3 }, () => pick(`${ALNUM}+/`, 64)).join('\n')}\n-----END ENCRYPTED PRIVATE KEY-----`;
  add('h-secret', `Key (encrypted):\n${enc}`, [['secret', enc]]);
  const pgp = `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${Array.from({ length: 3 }, () => pick(`${ALNUM}+/`, 64)).join('\n')}\n-----END PGP PRIVATE KEY BLOCK-----`;
  add('h-secret', pgp, [['secret', pgp]]);
  const awsId = `AKIA${pick(`${UPPER}234567`, 16)}`;
  const awsKey = pick(`${ALNUM}/+`, 40);
  add(
    'h-secret',
    `s3 = boto3.client("s3", aws_access_key_id="${awsId}", aws_secret_access_key="${awsKey}")`,
    [
      ['secret', awsId],
      ['secret', awsKey],
    ],
  );
}
add('h-secret-neg', 'The JWT header eyJhbGciOiJIUzI1NiJ9 alone is not a token.');
add('h-secret-neg', 'Keys like sk-1234 are too short to be real.');
add('h-secret-neg', 'Set GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX in CI.');
add('h-secret-neg', 'aws_access_key_id = AKIAXXXXXXXXXXXXXXXX');
add('h-secret-neg', 'The token type is "bearer" and it expires in 3600 s.');

add(
  'h-mixed',
  "Sure! Here's the customer record:\n- Name: Dana Lee\n- Email: dana.lee@example.com\n- Phone: (415) 555-0134\n- Card: **** **** **** 1881",
  [
    ['email', 'dana.lee@example.com'],
    ['phone', '(415) 555-0134'],
  ],
);
add('h-mixed', "I'm sorry, I can't share the SSN or card number for that account.");
add('h-mixed', '{"contact": {"email": "x@example.org", "phone": "+1 202 555 0147"}, "ip": "203.0.113.8"}', [
  ['email', 'x@example.org'],
  ['phone', '+1 202 555 0147'],
  ['ip_address', '203.0.113.8'],
]);
add('h-mixed', '2024-05-01T12:00:00Z INFO user=42 ip=198.51.100.31 path=/login status=200', [
  ['ip_address', '198.51.100.31'],
]);
add('h-mixed', 'Your appointment is on 05/14/2024 at 3:45 PM in room 212. Reference: 555-0142-A.');
add('h-mixed', 'Transfer 1,250.00 EUR to IBAN FR76 3000 6000 0112 3456 7890 189, ref. INV-7781.', [
  ['iban', 'FR76 3000 6000 0112 3456 7890 189'],
]);

// ===================================================================================== checks

for (const entry of entries) {
  for (const { type, value } of entry.entities) {
    if (!entry.text.includes(value)) throw new Error(`${entry.id}: "${value}" is not in the text`);
    if (type === 'credit_card' && !luhnValid(value.replace(/\D/g, ''))) throw new Error(`${entry.id}: Luhn`);
    if (type === 'iban' && !ibanValid(value)) throw new Error(`${entry.id}: mod-97`);
    // 00 is the international prefix of most countries outside North America.
    const dialled = value.replace(/^00/, '+');
    if (type === 'phone' && !isValidPhoneNumber(dialled, (entry.region ?? 'US') as 'US')) {
      throw new Error(`${entry.id}: ${value} is not a valid number`);
    }
  }
}
for (const value of validIbans) if (!ibanValid(value)) throw new Error(`invalid IBAN ${value}`);

const target = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'data',
  'pii',
  'corpus.jsonl',
);
writeFileSync(target, `${entries.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
const positives = entries.filter((entry) => entry.entities.length > 0).length;
console.log(
  `${entries.length} strings (${positives} with entities, ${entries.length - positives} without) → ${target}`,
);
