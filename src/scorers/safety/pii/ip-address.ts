import { before, type PiiSpan } from './types.js';

// IP addresses, fully validated: IPv4 as four decimal octets 0–255 (no leading zeros, which some parsers
// read as octal); IPv6 per RFC 4291 text forms (eight groups, `::` once for a run of zero groups, an IPv4
// tail in the last 32 bits), lower or upper case, a zone (`%eth0`) left out. Addresses that are no one's
// host are not reported: loopback and unspecified (127.0.0.0/8, 0.0.0.0, ::1, ::), and IPv4 multicast
// and reserved space (224.0.0.0/3: broadcast, netmasks such as 255.255.255.0). Four dotted numbers after a version, build or section word (`version 4.2.10.1`,
// `v1.2.3.4`) or inside a longer dotted run (an OID, `foo-1.10.2.3.tar.gz`) are not addresses.

const IPV4 =
  /(?<![\p{L}\p{N}_.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\p{L}\p{N}_]|\.\d|\.[\p{L}])/gu;
/** Words after which dotted numbers are a version, build or section number. */
const VERSION_CONTEXT =
  /(?:\b(?:v|ver|version|versions|release|rel|build|update|patch|section|sections|chapter|chap|sec|firmware|kernel|python|node|java|chrome|firefox|safari|edge|android|ios|windows|macos|ubuntu|debian|rhel|openssl)\b|§)(?:[\s:=#]+(?:string|number|no|is|was|code|id|tag|name)\b)*[\s:=#]*$/;

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

export function ipv4Valid(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => OCTET.test(part) && Number(part) <= 255);
}

/**
 * Host addresses only: not loopback (127/8), not 0.0.0.0, not multicast or reserved (224/3, which holds
 * the broadcast address and every netmask from 224.0.0.0 up, such as 255.255.255.0).
 */
function ipv4Reported(text: string): boolean {
  const first = Number(text.slice(0, text.indexOf('.')));
  return first !== 127 && first < 224 && text !== '0.0.0.0';
}

/** The eight 16-bit groups of an IPv6 address in any RFC 4291 text form (no zone), or undefined. */
export function ipv6Groups(text: string): number[] | undefined {
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (lastColon === -1) return undefined;
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    // An IPv4 tail fills the last two groups: `::ffff:192.0.2.1`.
    if (!ipv4Valid(last)) return undefined;
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    tail.push(a * 256 + b, c * 256 + d);
    body = body.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string): number[] | undefined => {
    if (half === '') return [];
    const groups = half.split(':');
    if (!groups.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return undefined;
    return groups.map((group) => Number.parseInt(group, 16));
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1) return given === 8 ? [...head, ...tail] : undefined;
  if (given > 7) return undefined;
  return [...head, ...Array<number>(8 - given).fill(0), ...rest, ...tail];
}

function ipv6Reported(groups: readonly number[]): boolean {
  // :: (unspecified) and ::1 (loopback)
  return !(groups.slice(0, 7).every((group) => group === 0) && (groups[7] ?? 0) <= 1);
}

// Runs of hex digits, colons and dots with at least two colons, not touching a word or another colon.
const IPV6 =
  /(?<![\p{L}\p{N}_:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){1,8}(?::(?:\d{1,3}\.){3}\d{1,3})?(?![\p{L}\p{N}_:]|\.\d)/gu;

export function detectIpAddresses(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of text.matchAll(IPV4)) {
    const value = match[0];
    if (!ipv4Valid(value) || !ipv4Reported(value)) continue;
    if (VERSION_CONTEXT.test(before(text, match.index, 30))) continue;
    spans.push({
      type: 'ip_address',
      start: match.index,
      end: match.index + value.length,
      value,
      kind: 'ipv4',
    });
  }
  for (const match of text.matchAll(IPV6)) {
    const value = match[0];
    // Real addresses carry a digit; `cafe::beef` or `A::B` in code are names.
    if (!/\d/.test(value) || !value.includes(':', value.indexOf(':') + 1)) continue;
    const groups = ipv6Groups(value);
    if (groups === undefined || !ipv6Reported(groups)) continue;
    spans.push({
      type: 'ip_address',
      start: match.index,
      end: match.index + value.length,
      value,
      kind: 'ipv6',
    });
  }
  return spans;
}
