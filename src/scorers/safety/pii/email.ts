import type { PiiSpan } from './types.js';

// Addresses as people write them: a local part of letters (any script), digits and . _ % + - ' (the characters of
// nearly every real mailbox; RFC 5322 allows more, such as = and /, but then `email=jo@x.org` in a query
// string would swallow its key), starting with a letter, digit or underscore; a domain of DNS labels with
// an alphabetic top-level label (internationalised names included). IP-literal domains (`jo@[192.0.2.1]`) are left to ip_address.
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}_][\p{L}\p{N}._%+'-]{0,63}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,24}(?![\p{L}\p{N}-])/gu;

/** Image suffixes written after `@2x`: `logo@2x.png` names a file, not a mailbox. */
const FILE_SUFFIXES = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'bmp',
  'ico',
  'tif',
  'tiff',
  'avif',
  'heic',
]);

export function detectEmails(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of text.matchAll(EMAIL)) {
    const start = match.index;
    const value = match[0];
    const end = start + value.length;
    const suffix = value.slice(value.lastIndexOf('.') + 1).toLowerCase();
    if (FILE_SUFFIXES.has(suffix)) continue;
    // `git@github.com:org/repo.git` is an SCP-style remote; `ssh://git@host/…` a URL's user part.
    if (/^:[^\s]/.test(text.slice(end, end + 2))) continue;
    if (text.slice(Math.max(0, start - 3), start) === '://') continue;
    if (value.slice(0, value.indexOf('@')).endsWith('.')) continue;
    spans.push({ type: 'email', start, end, value });
  }
  return spans;
}
