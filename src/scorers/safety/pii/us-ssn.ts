import { before, type PiiSpan } from './types.js';

// US Social Security numbers: AAA-GG-SSSS with dashes or spaces, or nine bare digits right after an
// SSN word. Structural rules (SSA): area not 000, 666 or 900–999; group not 00; serial not 0000; and
// not one of the numbers printed on sample cards and in advertising, which appear in text as examples.

const FORMATTED = /(?<![\p{L}\p{N}_]|\d[ -])(\d{3})([- ])(\d{2})\2(\d{4})(?![\p{L}\p{N}_]|[ -]\d)/gu;
const BARE = /(?<![\p{L}\p{N}_-])(\d{3})(\d{2})(\d{4})(?![\p{L}\p{N}_-])/gu;
/** SSN words shortly before bare digits. */
const SSN_CONTEXT = /(?:\bssns?\b|\bss#|\bss no\b|\bsocial security\b|\bsocial sec\b)[^\d]{0,30}$/;

/**
 * Numbers known from sample cards and advertising: 078-05-1120 (a wallet insert, voided by SSA),
 * 219-09-9999 (an SSA pamphlet), 457-55-5462 (an identity-protection ad), 123-45-6789 (the usual example).
 */
const VOIDED = new Set(['078051120', '219099999', '457555462', '123456789']);

export function ssnStructureValid(area: string, group: string, serial: string): boolean {
  const areaNumber = Number(area);
  if (areaNumber === 0 || areaNumber === 666 || areaNumber >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  return !VOIDED.has(`${area}${group}${serial}`);
}

export function detectUsSsns(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of text.matchAll(FORMATTED)) {
    const [value, area, , group, serial] = match as unknown as [string, string, string, string, string];
    if (!ssnStructureValid(area, group, serial)) continue;
    spans.push({ type: 'us_ssn', start: match.index, end: match.index + value.length, value });
  }
  for (const match of text.matchAll(BARE)) {
    const [value, area, group, serial] = match as unknown as [string, string, string, string];
    if (!SSN_CONTEXT.test(before(text, match.index, 40))) continue;
    if (!ssnStructureValid(area, group, serial)) continue;
    spans.push({ type: 'us_ssn', start: match.index, end: match.index + value.length, value });
  }
  return spans;
}
