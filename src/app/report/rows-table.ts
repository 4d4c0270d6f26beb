import { displayText, escapeHtml } from './escape.js';

/** One cell: its HTML (already escaped by whoever built it) and the key the table sorts it by. */
export interface TableCell {
  html: string;
  /** Numbers sort as numbers, anything else as text; empty sorts last either way. */
  sort: string;
}

export interface RowsTable {
  columns: readonly string[];
  rows: ReadonlyArray<readonly TableCell[]>;
  /** The metrics the filter offers. */
  metrics: readonly string[];
  /** The statuses the filter offers: value and label. */
  statuses: ReadonlyArray<readonly [string, string]>;
}

const SORT_KEY_LENGTH = 120;

/** A text cell for any value from a row (string as is, anything else as JSON), escaped. */
export function textCell(value: unknown): TableCell {
  const text = displayText(value);
  // the first characters decide a text sort; the whole text again in an attribute would double the file
  return { html: `<div class="cell">${escapeHtml(text)}</div>`, sort: text.slice(0, SORT_KEY_LENGTH) };
}

/**
 * The row table with its controls: a text filter over everything a row shows, a metric and a status
 * filter, and a sort button in each header. Row i carries `data-index="i"`, the index of its entry in
 * the page's JSON data (where its statuses are).
 */
export function rowsTableHtml(table: RowsTable): string {
  const head = table.columns
    .map(
      (title) => `<th scope="col" aria-sort="none"><button type="button">${escapeHtml(title)}</button></th>`,
    )
    .join('');
  const body = table.rows
    .map((cells, index) => {
      const tds = cells.map((cell) => `<td data-sort="${escapeHtml(cell.sort)}">${cell.html}</td>`).join('');
      return `<tr data-index="${index}">${tds}</tr>`;
    })
    .join('\n');
  const metricOptions = table.metrics
    .map((metric) => `<option value="${escapeHtml(metric)}">${escapeHtml(metric)}</option>`)
    .join('');
  const statusOptions = table.statuses
    .map(([value, label]) => `<option value="${escapeHtml(value)}">${escapeHtml(label)}</option>`)
    .join('');
  return `<div class="controls">
<label>Filter <input type="search" id="filter-text" placeholder="text in any column" autocomplete="off"></label>
<label>Metric <select id="filter-metric"><option value="">any metric</option>${metricOptions}</select></label>
<label>Status <select id="filter-status"><option value="">any status</option>${statusOptions}</select></label>
<span class="muted"><span id="rows-shown">${table.rows.length}</span> of ${table.rows.length} rows</span>
</div>
<table class="rows" id="row-table">
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}
