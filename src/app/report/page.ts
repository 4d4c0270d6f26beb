import { createHash } from 'node:crypto';
import { escapeHtml, jsonForScript } from './escape.js';
import { TABLE_SCRIPT } from './table-script.js';

const STYLE = `
:root { color-scheme: light; --border: #d0d7de; --muted: #57606a; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0; padding: 24px 32px 64px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; border-bottom: 1px solid var(--border); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.muted { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; }
.scroll { overflow-x: auto; max-width: 100%; }
table.summary td, table.summary th { border: 1px solid var(--border); padding: 4px 8px; text-align: left; vertical-align: top; }
table.summary td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary th { background: var(--bg-soft); }
.verdict-better, .status-pass, .status-better { color: #1a7f37; font-weight: 600; }
.verdict-worse, .status-fail, .status-worse, .status-error { color: #cf222e; font-weight: 600; }
.verdict-no_significant_difference { color: var(--muted); }
.warning { background: #fff8c5; border: 1px solid #d4a72c; padding: 6px 10px; margin: 6px 0; border-radius: 4px; }
figure.chart { margin: 12px 0; overflow-x: auto; }
figure.chart figcaption { color: var(--muted); font-size: 12px; }
.controls { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 8px 0; position: sticky; top: 0; background: #fff; padding: 6px 0; z-index: 2; }
.controls input[type=search] { min-width: 280px; padding: 4px 6px; }
table.rows { width: 100%; table-layout: auto; }
table.rows th, table.rows td { border: 1px solid var(--border); padding: 4px 6px; vertical-align: top; text-align: left; }
table.rows thead th { background: var(--bg-soft); position: sticky; top: 44px; z-index: 1; }
table.rows th button { all: unset; cursor: pointer; font-weight: 600; }
table.rows th button:focus-visible { outline: 2px solid #0969da; }
table.rows th[aria-sort=ascending] button::after { content: " \\25B2" / ""; font-size: 10px; }
table.rows th[aria-sort=descending] button::after { content: " \\25BC" / ""; font-size: 10px; }
.cell { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 12em; overflow: auto; min-width: 8em; max-width: 40em; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.rationale { display: block; color: var(--muted); font-size: 12px; white-space: pre-wrap; max-height: 8em; overflow: auto; max-width: 28em; }
.value { font-variant-numeric: tabular-nums; }
.row-id { white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
article.regression h4 { margin: 8px 0 2px; font-size: 12px; }
article.regression { border: 1px solid var(--border); border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
article.regression .sides, .side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
article.regression .cell { max-width: none; }
`;

/** A `<section>` of the page. */
export function section(id: string, title: string, body: string): string {
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

/** `<dl>` of facts; values are escaped here, absent ones left out. */
export function facts(entries: ReadonlyArray<[string, string | number | undefined | null]>): string {
  const items = entries
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== null)
    .map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(String(value))}</dd>`);
  return `<dl class="facts">${items.join('')}</dl>`;
}

/** A link when the URL is http(s), plain text otherwise (no `javascript:` from a summary file). */
export function link(url: string | undefined, text: string): string {
  if (url === undefined) return '';
  if (!/^https?:\/\//i.test(url)) return escapeHtml(text);
  return `<a href="${escapeHtml(url)}" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
}

/** An SVG chart from the renderer (its text is already XML-escaped by Vega) with a caption. */
export function chart(svg: string, caption: string): string {
  return `<figure class="chart">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/**
 * The whole document. The Content-Security-Policy forbids every load (`default-src 'none'`: no
 * script, style, image, font, frame or fetch from anywhere, not even the file's own folder) and admits
 * only the page's own style and script, each by its hash; so even an output that slipped past escaping
 * could not run or phone home.
 */
export function page(options: { title: string; body: string; data: unknown }): string {
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(TABLE_SCRIPT)}'`,
    `style-src 'sha256-${sha256(STYLE)}'`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; '); // judgeflow's own text (hashes are base64): nothing to escape in the attribute
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="judgeflow report">
<title>${escapeHtml(options.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${options.body}
<script type="application/json" id="report-data">${jsonForScript(options.data)}</script>
<script>${TABLE_SCRIPT}</script>
</body>
</html>
`;
}
