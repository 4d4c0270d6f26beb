/**
 * The report's only script: sorting, text filter and metric/status filter of the row table. Plain
 * ES2017 in a string, so no build step can inject helpers into it; the page's Content-Security-Policy
 * admits exactly this text by its SHA-256. It reads the row statuses from the page's
 * `<script type="application/json" id="report-data">` and touches the page only through
 * `textContent`, attributes and `hidden` — never `innerHTML` — so a model output stays text.
 */
export const TABLE_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var table = document.getElementById('row-table');
  if (!table) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById('filter-text');
  var metricSelect = document.getElementById('filter-metric');
  var statusSelect = document.getElementById('filter-status');
  var shown = document.getElementById('rows-shown');
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });

  function statusOf(index, metric) {
    var entry = data.rows[index];
    return entry && entry.status ? entry.status[metric] : undefined;
  }

  function matches(index) {
    var needle = search.value.trim().toLowerCase();
    if (needle !== '' && texts[index].indexOf(needle) === -1) return false;
    var metric = metricSelect.value;
    var status = statusSelect.value;
    if (status === '') return true;
    var names = metric === '' ? data.metrics : [metric];
    for (var i = 0; i < names.length; i++) {
      var s = statusOf(index, names[i]);
      if (s === status || (status === 'changed' && (s === 'better' || s === 'worse'))) return true;
    }
    return false;
  }

  function applyFilter() {
    var count = 0;
    rows.forEach(function (row) {
      var keep = matches(Number(row.getAttribute('data-index')));
      row.hidden = !keep;
      if (keep) count++;
    });
    shown.textContent = String(count);
  }

  function sortKey(row, column) {
    var cell = row.cells[column];
    var raw = cell ? cell.getAttribute('data-sort') : null;
    if (raw === null || raw === '') return { empty: true, number: 0, text: '' };
    var number = Number(raw);
    return { empty: false, number: number, text: raw, numeric: raw.trim() !== '' && isFinite(number) };
  }

  function compare(a, b) {
    if (a.empty || b.empty) return a.empty === b.empty ? 0 : a.empty ? 1 : -1;
    if (a.numeric && b.numeric) return a.number - b.number;
    return a.text.localeCompare(b.text, undefined, { numeric: true });
  }

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (header, column) {
    var button = header.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function () {
      var ascending = header.getAttribute('aria-sort') !== 'ascending';
      headers.forEach(function (other) { other.setAttribute('aria-sort', 'none'); });
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var keyed = rows.map(function (row, position) {
        return { row: row, key: sortKey(row, column), position: position };
      });
      keyed.sort(function (x, y) {
        var order = compare(x.key, y.key);
        if (x.key.empty || y.key.empty) return order || x.position - y.position;
        return (ascending ? order : -order) || x.position - y.position;
      });
      rows = keyed.map(function (entry) { return entry.row; });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });

  search.addEventListener('input', applyFilter);
  metricSelect.addEventListener('change', applyFilter);
  statusSelect.addEventListener('change', applyFilter);
  applyFilter();
})();
`;
