/**
 * The web app's page, style and script (plain browser JavaScript, no build
 * step, no framework). The ECG charts are rendered by the server with the
 * same renderEcgSvg as the report; the script lists and filters records,
 * asks for charts (methods side by side, zoom and pan as a time window),
 * reads hover values from the arrays sent with each chart, and renders the
 * cohort views' Vega-Lite specs with the vega bundles served by the app.
 */
import { LOCATE_JS } from './locate.js';

export const APP_HTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ecgx</title><link rel="stylesheet" href="/app.css"></head>
<body>
<header><h1>ecgx</h1><span id="source"></span></header>
<div id="layout">
<aside>
  <h2>Records <span id="count"></span></h2>
  <label>Label <select id="f-label"><option value="">any</option></select></label>
  <label>Prediction <select id="f-pred"><option value="">any</option><option value=":correct">correct</option><option value=":wrong">wrong</option></select></label>
  <label>Fold <select id="f-fold"><option value="">any</option></select></label>
  <label>Id <input id="f-id" type="search" placeholder="filter"></label>
  <ul id="records"></ul>
  <form id="upload"><h2>Open a record</h2>
    <p class="hint">A WFDB pair from your disk: the .hea header and its .dat signal file.</p>
    <label>.hea <input id="up-hea" type="file" accept=".hea"></label>
    <label>.dat <input id="up-dat" type="file" accept=".dat"></label>
    <button type="submit">Open</button>
  </form>
</aside>
<main>
  <div id="controls">
    <fieldset id="methods"><legend>Methods (side by side)</legend></fieldset>
    <label>Target <select id="target"><option value="predicted">predicted</option></select></label>
    <label>Layout <select id="layout-sel"><option>12x1</option><option>3x4+II</option><option>1x1</option></select></label>
    <label>Lead <select id="lead"></select></label>
    <fieldset id="overlays"><legend>Overlays</legend>
      <label><input type="checkbox" value="attribution" checked> attribution</label>
      <label><input type="checkbox" value="clusters" checked> TLC clusters</label>
      <label><input type="checkbox" value="entropy" checked> TLC entropy</label>
      <label><input type="checkbox" value="waves"> P/QRS/T waves</label>
    </fieldset>
    <span id="zoom"><button id="z-in" title="zoom in">+</button><button id="z-out" title="zoom out">&minus;</button><button id="p-left" title="earlier">&larr;</button><button id="p-right" title="later">&rarr;</button><button id="z-reset">all</button> <span id="window"></span></span>
  </div>
  <div id="error" role="alert" hidden></div>
  <div id="record-info"></div>
  <div id="notice" role="status" hidden></div>
  <div id="charts"></div>
  <section id="faith" hidden><h2>Faithfulness on this record</h2><p class="hint">The target's probability as the most-attributed samples are deleted (set to 0) or inserted into an empty input; area under each curve. A method says more than chance only where it beats the random map (deletion lower, insertion higher).</p><div id="faith-body"></div></section>
  <section id="cohort"><h2>Cohort</h2><div id="cohort-views"></div></section>
</main>
</div>
<div id="tooltip" hidden></div>
<script src="/vendor/vega.min.js"></script><script src="/vendor/vega-lite.min.js"></script><script src="/app.js"></script>
</body></html>
`;

export const APP_CSS = `
body{margin:0;font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:13px;color:#111;background:#f6f7f8}
header{background:#1f3b57;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:baseline}header h1{margin:0;font-size:18px}#source{opacity:.85}
#layout{display:flex;min-height:calc(100vh - 40px)}
aside{width:250px;flex:none;padding:8px 12px;background:#fff;border-right:1px solid #ddd;overflow:auto;max-height:calc(100vh - 40px)}
aside h2{font-size:14px;margin:8px 0}aside label{display:block;margin:4px 0}aside select,aside input[type=search]{width:100%}
#records{list-style:none;padding:0;margin:6px 0;max-height:45vh;overflow:auto;border:1px solid #ddd}
#records li{padding:3px 6px;cursor:pointer;border-bottom:1px solid #eee}#records li:hover{background:#eef2f5}#records li.sel{background:#1f3b57;color:#fff}
#records .tags{font-size:11px;opacity:.75}
.hint{font-size:11px;color:#555}
main{flex:1;padding:8px 16px;min-width:0}
#controls{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:8px}
fieldset{border:1px solid #ccc;padding:2px 8px;margin:0}legend{font-size:11px;color:#555}
#zoom button{min-width:28px;margin-right:2px}
#error{background:#fde8e4;border:1px solid #d55e00;color:#7a2500;padding:6px 10px;margin:6px 0}
#record-info{margin:4px 0 8px}
#notice{background:#fff6d5;border:1px solid #e69f00;color:#5a4000;padding:6px 10px;margin:6px 0}
#faith table{border-collapse:collapse;font-size:12px;margin:4px 0}#faith th,#faith td{border:1px solid #ccc;padding:2px 8px}#faith td+td{text-align:right;font-variant-numeric:tabular-nums}#faith h2{font-size:15px}
.banner{background:#fde8e4;border:1px solid #d55e00;color:#7a2500;padding:6px 10px;margin:6px 0}
#charts{display:flex;gap:10px;align-items:flex-start}
.chart{background:#fff;border:1px solid #ddd;padding:4px;flex:1;min-width:0}.chart h3{margin:2px 4px;font-size:13px}.chart svg{width:100%;height:auto;display:block;cursor:crosshair}
#tooltip{position:fixed;pointer-events:none;background:rgba(20,20,20,.88);color:#fff;padding:5px 8px;border-radius:3px;font-size:12px;line-height:1.35;white-space:nowrap;z-index:10}
#cohort-views{display:flex;flex-wrap:wrap;gap:14px}#cohort h2{font-size:15px}
`;

export const APP_JS = String.raw`'use strict';
` + LOCATE_JS + String.raw`
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var state = { info: null, records: [], current: null, record: null, start: 0, duration: null, charts: [] };

  function showError(msg) { var e = $('error'); e.textContent = msg; e.hidden = !msg; }
  function api(path, init) {
    return fetch(path, init).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.statusText); return body; });
    });
  }
  function option(sel, value, text) { var o = document.createElement('option'); o.value = value; o.textContent = text || value; sel.appendChild(o); }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }

  function filtered() {
    var label = $('f-label').value, pred = $('f-pred').value, id = $('f-id').value.trim().toLowerCase(), fold = $('f-fold').value;
    return state.records.filter(function (r) {
      if (label && r.labels.indexOf(label) < 0) return false;
      if (fold && String(r.fold) !== fold) return false;
      if (pred === ':correct' || pred === ':wrong') {
        var same = r.labels.slice().sort().join('|') === r.predicted.slice().sort().join('|');
        if ((pred === ':correct') !== same) return false;
      } else if (pred && r.predicted.indexOf(pred) < 0) return false;
      if (id && r.id.toLowerCase().indexOf(id) < 0) return false;
      return true;
    });
  }
  function renderList() {
    var list = filtered(), ul = $('records');
    ul.innerHTML = '';
    list.forEach(function (r) {
      var li = document.createElement('li');
      li.dataset.id = r.id;
      if (state.current === r.id) li.className = 'sel';
      li.innerHTML = '<b>' + esc(r.id) + '</b>' + (r.fold !== null ? ' <span class="tags">fold ' + r.fold + '</span>' : '') +
        '<br><span class="tags">true: ' + esc(r.labels.join(', ') || '-') + ' · pred: ' + esc(r.predicted.join(', ') || '-') + '</span>';
      li.addEventListener('click', function () { select(r.id); });
      ul.appendChild(li);
    });
    $('count').textContent = '(' + list.length + ' of ' + state.records.length + ')';
  }

  function methods() { return Array.prototype.map.call(document.querySelectorAll('#methods input:checked'), function (b) { return b.value; }); }
  function overlays() { return Array.prototype.map.call(document.querySelectorAll('#overlays input:checked'), function (b) { return b.value; }); }

  function select(id, win) {
    state.current = id; state.start = 0; state.duration = null;
    renderList();
    writeUrl();
    showError('');
    api('/api/record?id=' + encodeURIComponent(id)).then(function (rec) {
      state.record = rec;
      var total = rec.nSamples / rec.fs;
      state.duration = total;
      if (win && win.duration > 0) { state.duration = Math.min(total, win.duration); state.start = Math.min(Math.max(0, win.start || 0), total - state.duration); }
      var lead = $('lead'), keep = lead.value;
      lead.innerHTML = '';
      rec.leads.forEach(function (l) { option(lead, l); });
      var wanted = win && win.lead ? win.lead : keep;
      lead.value = rec.leads.indexOf(wanted) >= 0 ? wanted : (rec.leads.indexOf('II') >= 0 ? 'II' : rec.leads[0]);
      var scores = Object.keys(rec.scores).map(function (c) { return esc(c) + ' ' + rec.scores[c].toFixed(3); }).join(', ');
      $('record-info').innerHTML = '<b>' + esc(rec.id) + '</b> · ' + rec.leads.length + ' leads · ' + (rec.nSamples / rec.fs).toFixed(2) + ' s at ' + rec.fs + ' Hz · true: ' +
        esc(rec.labels.join(', ') || '-') + ' · scores: ' + scores;
      draw();
    }).catch(function (e) { showError(e.message); });
  }

  var drawSeq = 0;
  function draw() {
    if (!state.record) return;
    var rec = state.record, seq = ++drawSeq;
    var ms = methods(); if (ms.length === 0) ms = ['none'];
    var box = $('charts'), width = Math.max(300, Math.floor((box.clientWidth - 10 * (ms.length - 1)) / ms.length) - 10);
    $('window').textContent = state.start.toFixed(2) + '–' + (state.start + state.duration).toFixed(2) + ' s';
    writeUrl();
    faithfulness();
    Promise.all(ms.map(function (m) {
      var q = new URLSearchParams({ id: rec.id, method: m, target: $('target').value, layout: $('layout-sel').value, lead: $('lead').value,
        start: String(state.start), duration: String(state.duration), width: String(width), overlays: overlays().join(',') });
      return api('/api/chart?' + q.toString());
    })).then(function (charts) {
      if (seq !== drawSeq) return;
      state.charts = charts;
      // Say why TLC overlays are missing rather than drop them silently.
      var notice = charts.length && charts[0].tlcNotice;
      $('notice').textContent = notice || ''; $('notice').hidden = !notice;
      box.innerHTML = '';
      charts.forEach(function (c) {
        var div = document.createElement('div');
        div.className = 'chart'; div.dataset.method = c.method;
        div.innerHTML = '<h3>' + esc(c.method === 'none' ? 'ECG' : c.method + (c.attribution ? ' → ' + c.attribution.target : '')) + '</h3>' + c.svg;
        var svg = div.querySelector('svg');
        svg.addEventListener('mousemove', function (ev) { hover(ev, svg, c); });
        svg.addEventListener('mouseleave', function () { $('tooltip').hidden = true; });
        svg.addEventListener('wheel', function (ev) { ev.preventDefault(); zoomAt(ev.deltaY < 0 ? 0.5 : 2, timeAt(ev, svg)); }, { passive: false });
        svg.addEventListener('mousedown', function (ev) { dragStart(ev, svg); });
        box.appendChild(div);
      });
    }).catch(function (e) { if (seq === drawSeq) showError(e.message); });
  }

  // Where the pointer is on the chart: the segment (lead drawn over a time window) under it and the sample.
  var locate = ecgxLocate;
  function timeAt(ev, svg) { var l = locate(ev, svg); return l ? l.n / state.record.fs : state.start + state.duration / 2; }

  function hover(ev, svg, c) {
    var tip = $('tooltip'), l = locate(ev, svg), rec = state.record;
    if (!l) { tip.hidden = true; return; }
    var li = rec.leads.indexOf(l.lead), N = rec.nSamples, n = l.n;
    var rows = ['<b>t = ' + (n / rec.fs).toFixed(3) + ' s</b>', esc(l.lead) + ': ' + rec.signal[li * N + n].toFixed(3) + ' mV'];
    // Samples outside what the model saw (a crop) have no cluster (-1) and no value (null).
    if (c.tlc) c.tlc.groups.forEach(function (g) { rows.push(esc(g.name) + ': ' + (g.labels[n] < 0 ? 'not seen by the model' : 'cluster c' + g.labels[n] + ', entropy ' + g.entropy[n].toFixed(3))); });
    if (c.attribution) { var a = c.attribution, v = a.values[(a.leads === 1 ? 0 : li) * N + n]; rows.push(esc(a.method) + ' (' + esc(a.target) + '): ' + (v === null ? 'not seen by the model' : v.toPrecision(3))); }
    tip.innerHTML = rows.join('<br>');
    tip.dataset.lead = l.lead; tip.dataset.sample = String(n);
    tip.hidden = false;
    tip.style.left = (ev.clientX + 14) + 'px'; tip.style.top = (ev.clientY + 14) + 'px';
  }

  function setWindow(start, duration) {
    var total = state.record.nSamples / state.record.fs;
    duration = Math.min(total, Math.max(0.2, duration));
    start = Math.min(Math.max(0, start), total - duration);
    state.start = Math.round(start * 1000) / 1000; state.duration = Math.round(duration * 1000) / 1000;
    draw();
  }
  function zoomAt(factor, t) { if (!state.record) return; setWindow(t - (t - state.start) * factor, state.duration * factor); }
  var drag = null;
  function dragStart(ev, svg) {
    drag = { x: ev.clientX, start: state.start, pxPerS: svg.getBoundingClientRect().width / (+svg.getAttribute('width')) * (+svg.dataset.speed) * (+svg.dataset.pxPerMm) };
    ev.preventDefault();
  }
  window.addEventListener('mouseup', function (ev) {
    if (!drag) return;
    var dt = (ev.clientX - drag.x) / drag.pxPerS; var d = drag; drag = null;
    if (Math.abs(dt) > 0.01) setWindow(d.start - dt, state.duration);
  });

  $('z-in').addEventListener('click', function () { zoomAt(0.5, state.start + state.duration / 2); });
  $('z-out').addEventListener('click', function () { zoomAt(2, state.start + state.duration / 2); });
  $('p-left').addEventListener('click', function () { if (state.record) setWindow(state.start - state.duration / 2, state.duration); });
  $('p-right').addEventListener('click', function () { if (state.record) setWindow(state.start + state.duration / 2, state.duration); });
  $('z-reset').addEventListener('click', function () { if (state.record) setWindow(0, Infinity); });
  ['target', 'layout-sel', 'lead'].forEach(function (id) { $(id).addEventListener('change', draw); });
  $('overlays').addEventListener('change', draw);
  $('methods').addEventListener('change', draw);
  ['f-label', 'f-pred', 'f-fold'].forEach(function (id) { $(id).addEventListener('change', function () { renderList(); writeUrl(); }); });
  $('f-id').addEventListener('input', function () { renderList(); writeUrl(); });

  // The view in the URL (record, methods, target, layout, lead, overlays, time window, filters): a view can be shared.
  function writeUrl() {
    if (!state.ready) return;
    var q = new URLSearchParams();
    if (state.current) q.set('record', state.current);
    q.set('methods', methods().join(','));
    q.set('target', $('target').value);
    q.set('layout', $('layout-sel').value);
    if (state.record && $('lead').value) q.set('lead', $('lead').value);
    q.set('overlays', overlays().join(','));
    if (state.record && state.duration !== null && state.duration < state.record.nSamples / state.record.fs - 1e-9) { q.set('start', String(state.start)); q.set('duration', String(state.duration)); }
    [['f-label', 'label'], ['f-pred', 'pred'], ['f-fold', 'fold'], ['f-id', 'q']].forEach(function (f) { if ($(f[0]).value) q.set(f[1], $(f[0]).value); });
    var next = '?' + q.toString();
    if (location.search !== next) history.replaceState(null, '', next);
  }
  function setChecks(box, values) {
    Array.prototype.forEach.call(document.querySelectorAll('#' + box + ' input'), function (b) { b.checked = values.indexOf(b.value) >= 0; });
  }
  function hasOption(sel, v) { return Array.prototype.some.call($(sel).options, function (o) { return o.value === v; }); }
  function readUrl() {
    var q = new URLSearchParams(location.search);
    if (q.has('methods')) setChecks('methods', q.get('methods').split(',').filter(Boolean));
    if (q.has('overlays')) setChecks('overlays', q.get('overlays').split(',').filter(Boolean));
    if (q.has('target') && hasOption('target', q.get('target'))) $('target').value = q.get('target');
    if (q.has('layout') && hasOption('layout-sel', q.get('layout'))) $('layout-sel').value = q.get('layout');
    [['f-label', 'label'], ['f-pred', 'pred'], ['f-fold', 'fold']].forEach(function (f) { if (q.has(f[1]) && hasOption(f[0], q.get(f[1]))) $(f[0]).value = q.get(f[1]); });
    if (q.has('q')) $('f-id').value = q.get('q');
    renderList();
    var id = q.get('record');
    if (id && state.records.some(function (r) { return r.id === id; })) {
      select(id, { start: Number(q.get('start') || 0), duration: Number(q.get('duration') || 0), lead: q.get('lead') });
    }
  }

  // Faithfulness of the chosen methods on this record, beside a random map, and the whole-deletion check.
  var faithSeq = 0;
  function faithfulness() {
    var ms = methods(), seq = ++faithSeq;
    if (!state.record || ms.length === 0) { $('faith').hidden = true; return; }
    var q = new URLSearchParams({ id: state.record.id, methods: ms.join(','), target: $('target').value });
    api('/api/faithfulness?' + q.toString()).then(function (f) {
      if (seq !== faithSeq) return;
      var rows = f.rows.concat([f.random]).map(function (r) {
        return '<tr data-method="' + esc(r.method) + '"><td>' + esc(r.method) + '</td><td>' + r.deletion.toFixed(3) + '</td><td>' + r.insertion.toFixed(3) + '</td></tr>';
      }).join('');
      $('faith-body').innerHTML = '<table><thead><tr><th>method</th><th>deletion AUC (lower is better)</th><th>insertion AUC (higher is better)</th></tr></thead><tbody>' + rows + '</tbody></table>' +
        (f.wholeDeletion.warning ? '<p class="banner" data-warning="insensitive">Warning: ' + esc(f.wholeDeletion.warning) + '.</p>'
          : '<p class="hint">Deleting the whole signal changes the probability of the target by ' + f.wholeDeletion.meanChange.toFixed(3) + '.</p>');
      $('faith').hidden = false;
      document.body.dataset.faith = 'true';
    }).catch(function (e) { if (seq === faithSeq) showError(e.message); });
  }

  function readFile(input, asText) {
    var f = input.files && input.files[0];
    if (!f) return Promise.reject(new Error('choose both the .hea and the .dat file'));
    if (f.size > state.info.maxUploadBytes) return Promise.reject(new Error(f.name + ' is larger than ' + (state.info.maxUploadBytes >> 20) + ' MiB'));
    return asText ? f.text() : f.arrayBuffer().then(function (b) {
      var bytes = new Uint8Array(b), s = '';
      for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      return btoa(s);
    });
  }
  $('upload').addEventListener('submit', function (ev) {
    ev.preventDefault();
    showError('');
    Promise.all([readFile($('up-hea'), true), readFile($('up-dat'), false)]).then(function (parts) {
      var name = $('up-hea').files[0].name.replace(/\.hea$/, '');
      return api('/api/upload', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: name, hea: parts[0], dat: parts[1] }) });
    }).then(function (summary) {
      state.records.push(summary);
      state.records.sort(function (a, b) { return a.id.localeCompare(b.id, undefined, { numeric: true }); });
      renderList(); select(summary.id);
    }).catch(function (e) { showError('Could not open the record: ' + e.message); });
  });

  function cohortViews() {
    return api('/api/cohort').then(function (c) {
      var box = $('cohort-views');
      return Promise.all(c.specs.map(function (spec) {
        var div = document.createElement('div'); div.className = 'view'; box.appendChild(div);
        var view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'svg', container: div, hover: true });
        return view.runAsync();
      }));
    });
  }

  api('/api/info').then(function (info) {
    state.info = info;
    $('source').textContent = info.description + ' · ' + info.task + (info.tlc ? ' · TLC K=' + info.tlc.k + ' (' + info.tlc.groups.join(', ') + (info.tlc.fold !== null && info.tlc.fold !== undefined ? ', fold ' + info.tlc.fold + "'s checkpoint" : '') + ')' : '');
    info.classes.forEach(function (c) { option($('f-label'), c); option($('f-pred'), c); option($('target'), c); });
    var box = $('methods');
    info.methods.forEach(function (m, i) {
      var l = document.createElement('label'); l.innerHTML = '<input type="checkbox" value="' + esc(m) + '"' + (i === 0 ? ' checked' : '') + '> ' + esc(m) + ' ';
      box.appendChild(l);
    });
    return api('/api/records');
  }).then(function (records) {
    // Sorted by id (numbers in their numeric order: 2 before 10); the fold is a filter.
    state.records = records.slice().sort(function (a, b) { return a.id.localeCompare(b.id, undefined, { numeric: true }); });
    var folds = [];
    records.forEach(function (r) { if (r.fold !== null && folds.indexOf(r.fold) < 0) folds.push(r.fold); });
    folds.sort(function (a, b) { return a - b; }).forEach(function (f) { option($('f-fold'), String(f), 'fold ' + f); });
    $('f-fold').parentNode.hidden = folds.length === 0;
    state.ready = true;
    readUrl();
    renderList();
    document.body.dataset.ready = 'true';
    return cohortViews();
  }).then(function () { document.body.dataset.cohort = 'true'; }).catch(function (e) { showError(e.message); });
})();
`;
