import { escapeHtml, jsonForScript } from '../report/escape.js';

export interface PageBoot {
  /** CSP nonce of this response's script and style. */
  nonce: string;
  /** The session token every API call sends back. */
  token: string;
  /** `--reviewer`, or null: the page asks. */
  reviewer: string | null;
  runId: string;
  runName: string | null;
}

/**
 * The annotation page: one self-contained document (its style and script inline, under the response's
 * nonce). Nothing from the run is part of the HTML but the title (escaped); rows arrive as JSON and
 * are set with textContent only, so an output holding markup shows as the text it is.
 */
export function annotationPage(boot: PageBoot): string {
  const title = `judgeflow annotate: ${boot.runName ?? boot.runId}`;
  const data = { token: boot.token, reviewer: boot.reviewer, runId: boot.runId, runName: boot.runName };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style nonce="${escapeHtml(boot.nonce)}">${STYLE}</style>
</head>
<body>
<header>
  <h1 id="title"></h1>
  <div id="meta"><span id="progress"></span> <span id="reviewer-shown"></span> <span class="hint">press <kbd>?</kbd> for keys</span></div>
</header>
<section id="ask-reviewer" hidden>
  <label for="reviewer-input">Your reviewer id (written as the source of every label)</label>
  <input id="reviewer-input" autocomplete="off" maxlength="200">
  <button id="reviewer-start" type="button">Start</button>
</section>
<main id="main" hidden>
  <nav id="row-nav" aria-label="rows"></nav>
  <h2 id="row-title"></h2>
  <div class="panes">
    <section><h3>Inputs</h3><pre id="inputs"></pre></section>
    <section><h3>Output</h3><pre id="outputs"></pre></section>
    <section id="expectations-section"><h3>Expected</h3><pre id="expectations"></pre></section>
  </div>
  <section><h3>Your labels</h3><ol id="criteria"></ol></section>
  <section id="editor" hidden>
    <label id="editor-label" for="editor-text"></label>
    <textarea id="editor-text" rows="3"></textarea>
    <div class="hint"><kbd>Enter</kbd> saves, <kbd>Shift</kbd>+<kbd>Enter</kbd> a new line, <kbd>Esc</kbd> cancels</div>
  </section>
  <section id="judges-hidden"><h3>Judges</h3><p>The judges' verdicts show once you have answered every criterion of this row.</p></section>
  <section id="judges" hidden><h3>Judges</h3><table><thead><tr><th>criterion</th><th>judge</th><th>verdict</th><th>rationale</th></tr></thead><tbody id="judges-body"></tbody></table>
    <h3>Other reviewers</h3><ul id="others"></ul></section>
</main>
<p id="status" role="status" aria-live="polite"></p>
<aside id="help" hidden>
  <h3>Keys</h3>
  <dl>
    <dt><kbd>y</kbd> / <kbd>n</kbd></dt><dd>pass / fail for the current criterion</dd>
    <dt><kbd>1</kbd>–<kbd>5</kbd></dt><dd>score a 1–5 criterion</dd>
    <dt><kbd>Tab</kbd>, <kbd>↓</kbd> <kbd>→</kbd> / <kbd>Shift</kbd>+<kbd>Tab</kbd>, <kbd>↑</kbd> <kbd>←</kbd></dt><dd>next / previous criterion</dd>
    <dt><kbd>Enter</kbd> or <kbd>j</kbd> / <kbd>k</kbd></dt><dd>next / previous row</dd>
    <dt><kbd>r</kbd></dt><dd>write a rationale for the current criterion</dd>
    <dt><kbd>e</kbd></dt><dd>correct the expected answer</dd>
    <dt><kbd>?</kbd></dt><dd>this help (<kbd>Esc</kbd> closes it)</dd>
  </dl>
  <p>Each answer is written to MLflow as you give it.</p>
</aside>
<script type="application/json" id="boot">${jsonForScript(data)}</script>
<script nonce="${escapeHtml(boot.nonce)}">${SCRIPT}</script>
</body>
</html>
`;
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem; color: #1d232a; }
header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
h1 { font-size: 1.25rem; margin: 0; } h2 { font-size: 1.1rem; } h3 { font-size: .95rem; margin: .8rem 0 .3rem; }
.hint { color: #5b6570; font-size: .85rem; }
kbd { border: 1px solid #b9c0c8; border-bottom-width: 2px; border-radius: 3px; padding: 0 .3em; font-size: .85em; background: #f6f8fa; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; padding: .6rem; border-radius: 4px; margin: 0; max-height: 22rem; overflow: auto; }
.panes { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
#row-nav { display: flex; flex-wrap: wrap; gap: .25rem; margin: .8rem 0; }
#row-nav button { font: inherit; font-size: .8rem; border: 1px solid #c9d0d7; background: #fff; border-radius: 3px; padding: .1rem .4rem; cursor: pointer; }
#row-nav button.done { background: #dff3e4; border-color: #7cc191; }
#row-nav button.partial { background: #fff5d6; border-color: #e0c060; }
#row-nav button[aria-current="true"] { outline: 2px solid #2d6cdf; }
#criteria { padding-left: 1.4rem; }
#criteria li { padding: .3rem .5rem; border-radius: 4px; margin: .2rem 0; }
#criteria li[aria-current="true"] { background: #e8f0fe; outline: 1px solid #2d6cdf; }
#criteria .answer { font-weight: 600; margin-left: .6rem; }
#criteria .rationale { display: block; color: #39424c; white-space: pre-wrap; }
#criteria .pending { color: #8a5a00; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; border-bottom: 1px solid #e1e5ea; padding: .3rem .5rem; vertical-align: top; }
td.rationale { white-space: pre-wrap; } .overridden { color: #8a8f96; text-decoration: line-through; }
textarea { width: 100%; font: inherit; box-sizing: border-box; }
#status { min-height: 1.3em; } #status.error { color: #b3261e; }
#help { position: fixed; right: 1.5rem; top: 4rem; background: #fff; border: 1px solid #b9c0c8; border-radius: 6px; padding: .5rem 1rem; box-shadow: 0 4px 16px rgba(0,0,0,.15); max-width: 28rem; }
#help dt { margin-top: .4rem; } #help dd { margin-left: 1rem; }
`;

// Plain script, no template literals: it sits inside this module's template string.
const SCRIPT = `
'use strict';
(function () {
  var boot = JSON.parse(document.getElementById('boot').textContent);
  var el = function (id) { return document.getElementById(id); };
  var state = { reviewer: boot.reviewer, criteria: [], rows: [], index: 0, current: 0, row: null, pending: {}, editing: null, loading: false, writing: false };

  function text(value) {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    return JSON.stringify(value, null, 2);
  }
  function shownValue(value) {
    if (value === true) return 'yes';
    if (value === false) return 'no';
    return text(value);
  }
  function setStatus(message, isError) {
    el('status').textContent = message;
    el('status').className = isError ? 'error' : '';
  }
  function api(method, path, body) {
    var init = { method: method, headers: { 'x-judgeflow-token': boot.token }, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json && json.error ? json.error : 'HTTP ' + response.status);
        return json;
      });
    });
  }
  function q(params) {
    var search = new URLSearchParams(params);
    return '?' + search.toString();
  }

  function start() {
    el('title').textContent = 'judgeflow annotate: ' + (boot.runName || boot.runId);
    if (state.reviewer === null) {
      el('ask-reviewer').hidden = false;
      el('reviewer-input').focus();
      var go = function () {
        var id = el('reviewer-input').value.trim();
        if (id === '') { setStatus('enter a reviewer id', true); return; }
        state.reviewer = id;
        el('ask-reviewer').hidden = true;
        load();
      };
      el('reviewer-start').addEventListener('click', go);
      el('reviewer-input').addEventListener('keydown', function (event) {
        if (event.key === 'Enter') { event.preventDefault(); go(); }
      });
      return;
    }
    load();
  }

  function load() {
    el('reviewer-shown').textContent = 'reviewer: ' + state.reviewer;
    api('GET', '/api/state' + q({ reviewer: state.reviewer })).then(function (s) {
      state.criteria = s.criteria;
      state.rows = s.rows;
      el('main').hidden = false;
      var first = 0;
      while (first < s.rows.length && s.rows[first].complete) first++;
      showRow(first < s.rows.length ? first : 0);
    }).catch(function (error) { setStatus(error.message, true); });
  }

  function showRow(index) {
    if (index < 0 || index >= state.rows.length) return;
    closeEditor();
    state.loading = true;
    api('GET', '/api/row' + q({ reviewer: state.reviewer, index: String(index) })).then(function (row) {
      state.loading = false;
      state.index = index;
      render(row);
      state.current = firstOpen(row);
      renderCriteria();
      setStatus('', false);
    }).catch(function (error) { state.loading = false; setStatus(error.message, true); });
  }

  function firstOpen(row) {
    for (var i = 0; i < state.criteria.length; i++) if (!(state.criteria[i].name in row.answers)) return i;
    return 0;
  }

  function render(row) {
    state.row = row;
    var summary = state.rows[row.index];
    summary.answered = Object.keys(row.answers).length;
    summary.complete = row.complete;
    el('row-title').textContent = 'Row ' + row.rowId + ' (' + (row.index + 1) + ' of ' + state.rows.length + ')' + (row.complete ? ' \\u2713 labelled' : '');
    el('inputs').textContent = text(row.inputs);
    el('outputs').textContent = text(row.outputs);
    var hasExpected = Object.keys(row.expectations).length > 0;
    el('expectations-section').hidden = !hasExpected;
    el('expectations').textContent = hasExpected ? text(row.expectations) : '';
    el('progress').textContent = 'labelled ' + row.progress.labelled + '/' + row.progress.total;
    renderNav();
    renderJudges(row);
  }

  function renderNav() {
    var nav = el('row-nav');
    nav.textContent = '';
    state.rows.forEach(function (summary, i) {
      var button = document.createElement('button');
      button.type = 'button';
      button.tabIndex = -1;
      button.textContent = summary.rowId;
      button.className = summary.complete ? 'done' : summary.answered > 0 ? 'partial' : '';
      button.title = summary.complete ? 'labelled' : summary.answered > 0 ? 'partly labelled' : 'not labelled';
      button.setAttribute('aria-current', i === state.index ? 'true' : 'false');
      button.addEventListener('click', function () { showRow(i); });
      nav.appendChild(button);
    });
  }

  function renderCriteria() {
    var list = el('criteria');
    list.textContent = '';
    var row = state.row;
    state.criteria.forEach(function (criterion, i) {
      var item = document.createElement('li');
      item.setAttribute('aria-current', i === state.current ? 'true' : 'false');
      item.dataset.criterion = criterion.name;
      var name = document.createElement('span');
      name.textContent = criterion.name + (criterion.scale.kind === 'rubric' ? ' (1\\u20135)' : ' (y/n)');
      item.appendChild(name);
      var answer = row.answers[criterion.name];
      var value = document.createElement('span');
      value.className = 'answer';
      value.textContent = answer ? shownValue(answer.value) : '\\u2014';
      item.appendChild(value);
      var pending = (state.pending[row.traceId] || {})[criterion.name];
      var rationale = pending && pending.rationale !== undefined ? pending.rationale : answer ? answer.rationale : undefined;
      if (rationale) {
        var why = document.createElement('span');
        why.className = 'rationale';
        why.textContent = rationale;
        item.appendChild(why);
      }
      if (pending && !answer) {
        var note = document.createElement('span');
        note.className = 'rationale pending';
        note.textContent = 'not written yet: answer this criterion to save it';
        item.appendChild(note);
      }
      list.appendChild(item);
    });
  }

  function renderJudges(row) {
    el('judges-hidden').hidden = row.complete;
    el('judges').hidden = !row.complete;
    var body = el('judges-body');
    body.textContent = '';
    el('others').textContent = '';
    if (!row.complete || row.judges === null) return;
    row.judges.forEach(function (verdict) {
      var tr = document.createElement('tr');
      if (verdict.overridden) tr.className = 'overridden';
      [verdict.name, verdict.source + ' (' + verdict.sourceType + ')', verdict.error !== undefined ? 'error: ' + verdict.error : shownValue(verdict.value), verdict.rationale || ''].forEach(function (cell, i) {
        var td = document.createElement('td');
        if (i === 3) td.className = 'rationale';
        td.textContent = cell;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    (row.others || []).forEach(function (answer) {
      var li = document.createElement('li');
      li.textContent = answer.reviewer + ' \\u2014 ' + answer.name + ': ' + shownValue(answer.value) + (answer.rationale ? ' (' + answer.rationale + ')' : '');
      el('others').appendChild(li);
    });
  }

  function expectationName(row) {
    var names = Object.keys(row.expectations);
    if (names.indexOf('expected_response') !== -1) return 'expected_response';
    for (var i = 0; i < names.length; i++) if (typeof row.expectations[names[i]] === 'string') return names[i];
    return 'expected_response';
  }

  function send(criterion, value) {
    var row = state.row;
    var pending = (state.pending[row.traceId] || {})[criterion.name] || {};
    var earlier = row.answers[criterion.name];
    var rationale = pending.rationale !== undefined ? pending.rationale : earlier ? earlier.rationale : undefined;
    var body = { reviewer: state.reviewer, traceId: row.traceId, name: criterion.name, value: value };
    if (rationale !== undefined && rationale !== '') body.rationale = rationale;
    if (pending.expectation !== undefined) body.expectation = pending.expectation;
    state.writing = true;
    setStatus('writing ' + criterion.name + ' \\u2026', false);
    return api('POST', '/api/label', body).then(function (out) {
      state.writing = false;
      if (state.pending[row.traceId]) delete state.pending[row.traceId][criterion.name];
      if (out.row.index === state.index) {
        render(out.row);
        // a first answer moves on to the next open criterion; a changed answer or rationale stays put
        if (!earlier && Object.keys(out.row.answers).length < state.criteria.length) state.current = firstOpen(out.row);
        renderCriteria();
      } else {
        state.rows[out.row.index].answered = Object.keys(out.row.answers).length;
        state.rows[out.row.index].complete = out.row.complete;
        el('progress').textContent = 'labelled ' + out.row.progress.labelled + '/' + out.row.progress.total;
        renderNav();
      }
      setStatus('saved ' + criterion.name + ' = ' + shownValue(value) + (out.row.complete ? ' \\u2014 row labelled' : ''), false);
    }).catch(function (error) {
      state.writing = false;
      setStatus(error.message, true);
    });
  }

  function answer(value) {
    var criterion = state.criteria[state.current];
    if (!criterion || state.loading || state.writing || !state.row) return;
    if (criterion.scale.kind === 'pass_fail' && typeof value !== 'boolean') return;
    if (criterion.scale.kind === 'rubric' && typeof value !== 'number') return;
    send(criterion, value);
  }

  function openEditor(kind) {
    var row = state.row;
    var criterion = state.criteria[state.current];
    if (!row || !criterion) return;
    var pending = (state.pending[row.traceId] || {})[criterion.name] || {};
    var earlier = row.answers[criterion.name];
    state.editing = kind;
    var area = el('editor-text');
    if (kind === 'rationale') {
      el('editor-label').textContent = 'Rationale for ' + criterion.name;
      area.value = pending.rationale !== undefined ? pending.rationale : earlier && earlier.rationale ? earlier.rationale : '';
    } else {
      var name = expectationName(row);
      el('editor-label').textContent = 'Corrected expected answer (' + name + '), saved with ' + criterion.name;
      area.value = pending.expectation ? pending.expectation.value : text(row.expectations[name]);
    }
    el('editor').hidden = false;
    area.focus();
  }

  function closeEditor() {
    state.editing = null;
    // blur now: a hidden textarea keeps the focus until the next rendering, and would eat the next key
    el('editor-text').blur();
    el('editor').hidden = true;
  }

  function saveEditor() {
    var row = state.row;
    var criterion = state.criteria[state.current];
    var kind = state.editing;
    var value = el('editor-text').value;
    closeEditor();
    if (!row || !criterion) return;
    var forRow = state.pending[row.traceId] || (state.pending[row.traceId] = {});
    var pending = forRow[criterion.name] || (forRow[criterion.name] = {});
    if (kind === 'rationale') pending.rationale = value.trim();
    else pending.expectation = { name: expectationName(row), value: value };
    var earlier = row.answers[criterion.name];
    if (earlier) send(criterion, earlier.value);
    else {
      renderCriteria();
      setStatus((kind === 'rationale' ? 'rationale' : 'expected answer') + ' kept: answer ' + criterion.name + ' to write it', false);
    }
  }

  function move(step) {
    var count = state.criteria.length;
    if (count === 0) return;
    state.current = (state.current + step + count) % count;
    renderCriteria();
  }

  el('editor-text').addEventListener('keydown', function (event) {
    if (event.key === 'Escape') { event.preventDefault(); closeEditor(); setStatus('not saved', false); }
    else if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); saveEditor(); }
  });

  document.addEventListener('keydown', function (event) {
    var target = event.target;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
    if (event.ctrlKey || event.metaKey || event.altKey || el('main').hidden) return;
    var key = event.key;
    var handled = true;
    if (key === '?') el('help').hidden = !el('help').hidden;
    else if (key === 'Escape') el('help').hidden = true;
    else if (key === 'y') answer(true);
    else if (key === 'n') answer(false);
    else if (key.length === 1 && key >= '1' && key <= '5') answer(Number(key));
    else if ((key === 'Tab' && !event.shiftKey) || key === 'ArrowDown' || key === 'ArrowRight') move(1);
    else if ((key === 'Tab' && event.shiftKey) || key === 'ArrowUp' || key === 'ArrowLeft') move(-1);
    else if (key === 'Enter' || key === 'j') { if (!state.loading) showRow(state.index + 1); }
    else if (key === 'k') { if (!state.loading) showRow(state.index - 1); }
    else if (key === 'r') openEditor('rationale');
    else if (key === 'e') openEditor('expectation');
    else handled = false;
    if (handled) event.preventDefault();
  });

  start();
})();
`;
