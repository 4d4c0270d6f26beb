import { displayText } from './escape.js';

/**
 * A number as the report shows it: integers as they are, others to four significant digits; NaN (a rate
 * with nothing to divide by) as a dash.
 */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}

/** A feedback value for display: a number rounded as `formatNumber`, anything else as `displayText`. */
export function displayValue(value: unknown): string {
  return typeof value === 'number' ? formatNumber(value) : displayText(value);
}
