import type { PiiSpan } from './types.js';

// How a span appears in a rationale: enough to find it in the output (the entity, its shape, a few
// characters that identify no one), never the value. The masks have a fixed length, so a rationale does
// not give away how long a secret or a mailbox name is.

const MASK = '***';

/** The span's value with everything identifying masked. */
export function redactPii(span: PiiSpan): string {
  const { value } = span;
  switch (span.type) {
    case 'email': {
      // j***@e***.com: the first character of the mailbox and of the domain, and the top-level domain.
      const at = value.lastIndexOf('@');
      const domain = value.slice(at + 1);
      const tld = domain.slice(domain.lastIndexOf('.'));
      // Code points, so a mailbox starting with a letter outside the BMP is not cut in half.
      return `${Array.from(value)[0]}${MASK}@${Array.from(domain)[0]}${MASK}${tld}`;
    }
    case 'phone':
      // Every digit but the last two, keeping the layout: (***) ***-**42.
      return maskDigits(value, 2);
    case 'credit_card':
      // The last four, as receipts print them: **** **** **** 4242.
      return maskDigits(value, 4);
    case 'us_ssn':
      return value.replace(/\d/g, '*');
    case 'iban': {
      // The country code and the last four characters: DE** **** **** **** **30 00.
      const keep = value.replace(/\s/g, '').length - 4;
      let seen = 0;
      return value.replace(/[A-Z0-9]/gi, (char) => {
        seen += 1;
        return seen <= 2 || seen > keep ? char : '*';
      });
    }
    case 'ip_address':
      // The first octet or group: 203.***.***.***, 2001:***.
      return value.includes(':')
        ? `${value.slice(0, value.indexOf(':'))}:${MASK}`
        : `${value.slice(0, value.indexOf('.'))}.***.***.***`;
    case 'secret':
      // A private key block by its BEGIN line; any other secret by its first four characters (the
      // vendor prefix: AKIA****, ghp_****, eyJh****).
      if (span.kind === 'private_key') return `${value.slice(0, value.indexOf('-----', 5) + 5)}${MASK}`;
      return `${value.slice(0, 4)}${'*'.repeat(12)}`;
  }
}

/** `value` with all digits but the last `keep` replaced by `*`. */
function maskDigits(value: string, keep: number): string {
  const total = value.replace(/\D/g, '').length;
  let seen = 0;
  return value.replace(/\d/g, (digit) => {
    seen += 1;
    return seen > total - keep ? digit : '*';
  });
}
