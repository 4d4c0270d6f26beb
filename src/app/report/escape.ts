/**
 * Escaping for the report's HTML. Every string that comes from a dataset, a model, a judge or a file
 * name goes through one of these before it reaches the page: the report is opened in a browser from
 * disk or from MLflow's artifact view, and a model output is untrusted text.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * JSON for the inside of a `<script type="application/json">` element. The HTML parser ends a script
 * element at the first `</script`, whatever the JSON means, and `<!--` changes how it looks for that end;
 * so `<`, `>` and `&` are written as `\u003c`, `\u003e` and `\u0026` (JSON.parse reads them back
 * unchanged). U+2028 and U+2029 are escaped too, for readers that treat the text as JavaScript.
 */
export function jsonForScript(value: unknown): string {
  return (JSON.stringify(value) ?? 'null')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * A value from a dataset row or a model for display: a string as it is, anything else as indented
 * JSON. The caller escapes the result.
 */
export function displayText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
