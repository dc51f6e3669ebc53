/**
 * The self-contained HTML report: one file with inline CSS, inline SVG (ECG
 * charts and Vega-rendered cohort views) and a few lines of inline JS
 * (overlay switches). It references nothing outside itself, so it opens
 * offline and makes no network request.
 */
import { renderEcgSvg } from '../chart.js';
import { rocCurves, rocSpec } from '../cohort/roc.js';
import { confusionMatrix, confusionSpec } from '../cohort/confusion.js';
import { clusterProportionsSpec, clusterPrototypesSpec, entropyByClassSpec, surrogateFidelitySpec, type FidelityRow } from '../cohort/tlc-views.js';
import { renderVegaSvg, type TopLevelSpec } from '../cohort/vega.js';
import { esc } from '../svg.js';
import { overlayDisplay, scaleRuleText } from '../attribution.js';
import type { AttributionOverlay } from '../overlays.js';
import type { FaithfulnessTable } from './faithfulness.js';
import { describeCard } from '../../models/card.js';
import { LOCATE_JS } from '../app/locate.js';
import { paperFor } from '../app/paper.js';
import type { ReportContent, TlcCohort } from './collect.js';
import type { StoreCohort } from '../cohort/store.js';
import { classBeatsSection } from './beats.js';

const fmt = (v: number | undefined, d = 4): string => (v === undefined || !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(d));
const pm = (s: { mean: number; std: number; n: number } | undefined, d = 4): string => (!s ? 'n/a' : s.n > 1 ? `${fmt(s.mean, d)} ± ${fmt(s.std, d)}` : fmt(s.mean, d));

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

async function figure(id: string, spec: TopLevelSpec, caption: string): Promise<string> {
  const svg = await renderVegaSvg(spec);
  return `<figure class="cohort" id="${id}" data-view="${id}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function summarySection(c: ReportContent): string {
  const r = c.run;
  const rows: string[][] = [
    ['data', r.config.data],
    ['task', `${r.task.name} (${r.task.task}, loss ${r.task.loss})`],
    ['classes', r.task.classes.join(', ')],
    ['records used', String(r.task.records)],
    ['records dropped', Object.entries(r.task.dropped).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'],
    ['model', r.config.model],
    ['model input', describeCard(c.card)],
    ...(c.subject === 'run' ? [
      ['training', `${r.config.epochs} epoch(s), batch ${r.config.batchSize ?? 'default'}, seed ${r.config.seed ?? 0}; ${r.folds.length} test fold(s)${r.complete ? '' : ' (run not finished)'}`],
      ['selection metric', r.metric],
    ] : [['scored', `every labelled record once, against the labels of the dataset (no training here)`]]),
    ['versions', Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')],
  ];
  return `<section id="summary"><h2>Model and data</h2>${table(['', ''], rows, 'kv')}</section>`;
}

function metricsSection(c: ReportContent): string {
  const ev = c.evaluation;
  const keys = Object.keys(ev.summary);
  const head = c.subject === 'run' ? ['metric', ...ev.folds.map((f) => `fold ${f.fold} (n=${f.n})`), 'mean ± std'] : ['metric', `all labelled records (n=${ev.folds[0]?.n ?? 0})`];
  const rows = keys.map((k) => [k, ...ev.folds.map((f) => fmt(f.metrics[k])), ...(c.subject === 'run' ? [pm(ev.summary[k])] : [])]);
  const intro = c.subject === 'run' ? `<h2>Test metrics per fold</h2><p>Recomputed from each fold's <code>predictions.csv</code>; mean ± standard deviation over folds.</p>` : `<h2>Metrics on the dataset</h2><p>The model's scores on the ${ev.folds[0]?.n ?? 0} labelled records, through its card, against their labels.</p>`;
  return `<section id="metrics">${intro}${table(head, rows, 'num')}</section>`;
}

async function predictionViews(c: ReportContent): Promise<string> {
  const { task } = c.run.task;
  if (task === 'regression') return '';
  const classes = c.run.task.classes, p = c.predictions;
  const pooled = c.subject === 'run' ? 'test folds pooled' : 'all labelled records';
  const roc = await figure('view-roc', rocSpec(rocCurves(classes, p.scores, p.targets), `ROC curves (${pooled})`), `ROC curve per class over the ${c.subject === 'run' ? 'pooled test folds' : 'labelled records'} (step curve, ties taken together); dashed: chance.`);
  const cm = await figure('view-confusion', confusionSpec(confusionMatrix(task as 'multiclass' | 'multilabel', classes, p.scores, p.targets), `Confusion matrix (${pooled})`),
    task === 'multiclass' ? 'True class against the predicted class (argmax).' : 'Per class: true label against the prediction at a score threshold of 0.5.');
  return roc + cm;
}

function tlcTables(t: TlcCohort): string {
  const ev = t.evaluation;
  const s = ev.surrogate;
  const metrics = [...new Set([...Object.keys(s.forest), ...Object.keys(s.cnn)])];
  const sRows: string[][] = [['fidelity to the CNN (%)', pm(s.fidelity, 1), ''], ...(s.exactMatch ? [['exact match, all classes (%)', pm(s.exactMatch, 1), '']] : []),
    ...metrics.map((m) => [m, pm(s.forest[m]), pm(s.cnn[m])])];
  let out = `<h3>Surrogate forest (${ev.folds.length > 1 ? `mean ± std over ${ev.folds.length} folds` : `fold ${t.fold}`})</h3><p>A random forest on the test ECGs' cluster proportions: its agreement with the CNN's labels, and its metrics on the true labels beside the CNN's.</p>`;
  out += table(['measure', 'forest', 'CNN'], sRows, 'num');
  if (ev.waves) {
    out += `<h3>Alignment with P/QRS/T</h3>`;
    out += table(['group', 'NMI', 'NMI, waves shifted half a beat (null)', 'QRS purity'], ev.waves.map((w) => [w.name, pm(w.nmi, 3), pm(w.nullNmi, 3), pm(w.qrsPurity, 3)]), 'num');
    for (const g of ev.folds[0]?.waves ?? []) {
      out += `<h4>${esc(g.name)}: fraction of each cluster's samples per wave</h4>`;
      out += table(['cluster', ...g.classes, 'dominant'], g.clusterWaveFraction.map((r, i) => [`c${i}`, ...r.map((v) => v.toFixed(3)), g.dominantWave[i] ?? 'unused']), 'num');
    }
  } else {
    out += '<p>No wave annotations for these ECGs: no alignment table (use <code>--waves delineate</code>).</p>';
  }
  return out;
}

/** Cohort views over every ECG of an explanation store (merged shards of a cohort, typically far more than the report's run or records). */
async function storeSection(s: StoreCohort): Promise<string> {
  const n = s.ids.length;
  let views = '';
  if (s.task !== 'regression') {
    const labelled = Array.from({ length: n }, (_, i) => i).filter((i) => s.classes.every((_, j) => Number.isFinite(s.targets[i * s.classes.length + j]!)));
    const pick = (a: Float32Array): Float32Array => Float32Array.from(labelled.flatMap((i) => Array.from(a.subarray(i * s.classes.length, (i + 1) * s.classes.length))));
    if (labelled.length) {
      views += await figure('store-roc', rocSpec(rocCurves(s.classes, pick(s.scores), pick(s.targets)), `ROC curves (store: ${labelled.length} labelled ECGs)`), 'ROC curve per class over every labelled ECG of the store.');
      views += await figure('store-confusion', confusionSpec(confusionMatrix(s.task, s.classes, pick(s.scores), pick(s.targets)), `Confusion matrix (store: ${labelled.length} labelled ECGs)`), s.task === 'multiclass' ? 'True class against the predicted class (argmax).' : 'Per class: true label against the prediction at a score threshold of 0.5.');
    }
  }
  if (s.proportions.length) views += await figure('store-proportions', clusterProportionsSpec(s.proportions, s.k, undefined, s.classes), 'Mean fraction of time each cluster holds, over the stored ECGs with each label (n: ECGs).');
  for (const [g, rows] of Object.entries(s.entropy)) if (rows.length) views += await figure(`store-entropy-${g}`, entropyByClassSpec(rows, g, [...s.classes, 'no label']), 'Per stored ECG (dots): the mean normalised entropy of its cluster assignments, by label.');
  return `<section id="store"><h2>Cohort from the explanation store</h2><p>${n} ECGs of <code>${esc(s.dir)}</code> (read with DuckDB from its Parquet tables).</p><div class="views">${views || '<p>The store holds no labels or TLC to draw.</p>'}</div></section>`;
}

async function tlcSection(t: TlcCohort, classes: readonly string[], subject: ReportContent['subject']): Promise<string> {
  const ev = t.evaluation;
  let views = '';
  views += await figure('view-proportions', clusterProportionsSpec(t.proportions, t.k, t.clusterNames, classes), 'Mean fraction of time each cluster holds, over the test ECGs with each label (n: ECGs). Clusters are named by the wave holding most of their samples.');
  for (const g of t.groups) {
    if (t.entropy[g]?.length) views += await figure(`view-entropy-${g}`, entropyByClassSpec(t.entropy[g]!, g, [...classes, 'no label']), 'Per test ECG (dots): the mean normalised entropy of its cluster assignments (0: certain, 1: uniform), by true label; box: quartiles, whiskers 1.5 IQR.');
  }
  for (const g of t.groups) {
    if (t.prototypes[g]?.length) views += await figure(`view-prototypes-${g}`, clusterPrototypesSpec(t.prototypes[g]!, t.k, { group: g, lead: t.prototypeLead, names: t.clusterNames[g] }), 'Mean input (± 1 SD) in a 0.6 s window centred on each segment of the cluster.');
  }
  const fid: FidelityRow[] = ev.folds.flatMap((f) => [
    { fold: f.surrogate.fold, measure: 'fidelity %', value: f.surrogate.fidelity },
    ...(f.surrogate.exactMatch !== undefined ? [{ fold: f.surrogate.fold, measure: 'exact match %', value: f.surrogate.exactMatch }] : []),
  ]);
  views += await figure('view-fidelity', surrogateFidelitySpec(fid), 'Agreement of the surrogate forest with the CNN per fold; grey tick: mean over folds.');
  return `<section id="tlc"><h2>Time-localized clusters</h2><p>TLC with K = ${t.k} on ${esc(t.groups.join(', '))}, ${subject === 'run' ? `the checkpoint of fold ${t.fold}` : `the model, its surrogate over ${ev.folds.length} folds of the records`}; ${ev.options.method}, seed ${ev.options.seed}.</p>${tlcTables(t)}<div class="views">${views}</div></section>`;
}

/** Smallest text in the report's ECG charts, px: charts are drawn at the size they are shown, so this is what a reader sees at 100% zoom. */
export const REPORT_MIN_FONT_PX = 12;
/** Width of a gallery chart, px: a whole row for a 10 s 12-lead print, half a row otherwise. */
const WIDE_CHART_PX = 1100, CARD_CHART_PX = 540;

/** What an attribution overlay shows, in words, as the chart draws it by default. */
export function attributionWords(a: AttributionOverlay): string {
  const d = overlayDisplay(a);
  const where = d.style === 'trace' ? 'Trace coloured by' : 'Background shaded by';
  const map = d.signed ? 'orange: towards the target, purple: against it' : 'viridis, dark to yellow: low to high';
  return `${where} the ${a.method} attribution for ${a.target ?? 'the target'} (${map}; full colour at the ${scaleRuleText(d)})`;
}

function galleryCaption(c: ReportContent, g: ReportContent['gallery'][number]): string {
  const scores = Object.entries(g.scores).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
  const parts = [`Record ${g.id}: true ${g.truth}; CNN scores ${scores}.`];
  if (g.overlays.attribution) parts.push(`${attributionWords(g.overlays.attribution)}.`);
  if (g.overlays.clusters?.length) parts.push(`Bands under the ECG: TLC clusters of ${g.overlays.clusters.map((b) => b.block).join(', ')} (the legend names each cluster by its dominant wave); panel below: TLC entropy per block (0: certain, 1: uniform).`);
  if (g.overlays.waves) parts.push('P/QRS/T spans from the annotations are hidden: switch them on with the waves box above.');
  void c;
  return parts.map(esc).join(' ');
}

function gallerySection(c: ReportContent): string {
  const classes = [...new Set(c.gallery.map((g) => g.class))];
  const units = c.card.preprocess.some((p) => p.op === 'zscore') ? 'z' : 'mV';
  const parts = classes.map((cls) => {
    const cards = c.gallery.filter((g) => g.class === cls).map((g) => {
      // 10 s of 12 leads: the clinical 3x4 print across the page; shorter ECGs: 12 compact rows, cards side by side.
      // Drawn at the width shown (no scaling in the page), so the legend's text is the size set here.
      const long = g.ecg.nSamples / g.ecg.fs >= 10 && g.ecg.leads.length === 12;
      const paper = long ? { layout: '3x4+II' as const, width: WIDE_CHART_PX } : { layout: '12x1' as const, width: CARD_CHART_PX, rowHeightMm: 15 };
      const svg = renderEcgSvg(g.ecg, { ...paper, overlays: g.overlays, title: g.id, minFontPx: REPORT_MIN_FONT_PX, units });
      return `<figure class="ecg${long ? ' wide' : ''}" data-record="${esc(g.id)}" data-class="${esc(cls)}">${svg}<figcaption>${galleryCaption(c, g)}${g.warnings.map((w) => `<br><span class="warning">Warning: ${esc(w)}</span>`).join('')}</figcaption></figure>`;
    });
    return `<h3>${esc(cls)}</h3><div class="cards">${cards.join('')}</div>`;
  });
  // Wave spans start hidden: over the attribution and the clusters they crowd the trace.
  const toggles = ['attribution', 'cluster-band', 'entropy-panel', 'waves'].map((k) => `<label><input type="checkbox" data-toggle="${k}"${k === 'waves' ? '' : ' checked'}> ${k.replace('-', ' ')}</label>`).join(' ');
  return `<section id="gallery"><h2>Example ECGs per class</h2><p>${c.subject === 'run' ? `Test ECGs of fold ${c.gallery[0]?.fold ?? '?'}` : 'ECGs'} with the label and the highest CNN score for it, as the model sees them (after the model card's preprocessing${units === 'z' ? ', standardised per lead: the vertical axis is in standard deviations, not mV' : ''}), with the ${esc(c.method)} attribution for that label.</p><p class="toggles">Show: ${toggles}</p>${parts.join('') || '<p>No example ECGs.</p>'}</section>`;
}

function faithfulnessTable(f: FaithfulnessTable): string {
  const rows = [...f.rows, f.random].map((r) => [r.method, r.deletion.toFixed(3), r.insertion.toFixed(3)]);
  return `<h3>Faithfulness on the ${f.ecgs} example ECG(s)</h3><p>The target's probability as the most-attributed samples are deleted (set to 0) or inserted into an empty input, ${f.curveSteps} steps; area under each curve, mean over the examples. A method says more than chance only where it beats the random map (deletion lower, insertion higher).</p>` +
    table(['method', 'deletion AUC (lower is better)', 'insertion AUC (higher is better)'], rows, 'num faithfulness') +
    (f.wholeDeletion.warning ? `<p class="warning banner" data-warning="insensitive">Warning: ${esc(f.wholeDeletion.warning)}.</p>` : `<p>Deleting the whole signal changes the target's probability by ${f.wholeDeletion.meanChange.toFixed(3)} on average.</p>`);
}

function comparisonSection(c: ReportContent): string {
  const cmp = c.comparison;
  if (!cmp) return c.faithfulness ? `<section id="compare"><h2>Methods compared</h2>${faithfulnessTable(c.faithfulness)}</section>` : '';
  const lead = cmp.ecg.leads.includes('II') ? 'II' : cmp.ecg.leads[0]!;
  const units = c.card.preprocess.some((p) => p.op === 'zscore') ? 'z' : 'mV';
  const charts = cmp.panels.map((p) => {
    const title = p.method === 'tlc' ? 'TLC' : p.method === 'random' ? 'random map (reference)' : `${p.method} → ${cmp.target}`;
    const svg = renderEcgSvg(cmp.ecg, { layout: '1x1', lead, overlays: p.overlays, ...paperFor(WIDE_CHART_PX, cmp.ecg.nSamples / cmp.ecg.fs, '1x1'), title, minFontPx: REPORT_MIN_FONT_PX, units, labelChars: 7 });
    return `<figure class="compare" data-method="${esc(p.method)}">${svg}<figcaption>${esc(p.overlays.attribution ? attributionWords(p.overlays.attribution) + '.' : 'TLC clusters per block (bands) and their entropy (panel); they do not depend on the class.')}</figcaption></figure>`;
  });
  return `<section id="compare"><h2>Methods compared</h2><p>Record ${esc(cmp.id)}, lead ${esc(lead)}: each attribution method for ${esc(cmp.target)}, each on its own colour scale, then a random map drawn by the same rule (what no information looks like) and TLC.</p>${charts.join('')}${c.faithfulness ? faithfulnessTable(c.faithfulness) : ''}</section>`;
}

const CSS = `
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;margin:0;color:#111;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;font-size:13px;opacity:.85}
nav{padding:6px 24px;background:#e8eef3;font-size:13px}nav a{margin-right:14px;color:#1f3b57}
main{padding:8px 24px 40px;max-width:1200px}
section{margin-top:18px}h2{border-bottom:2px solid #1f3b57;padding-bottom:3px;font-size:19px}h3{font-size:16px;margin:16px 0 6px}h4{font-size:14px;margin:10px 0 4px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eef2f5}
table.num td:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}table.num.ranked td:nth-child(2){text-align:left}table.kv thead{display:none}table.kv td:first-child{font-weight:bold;background:#f4f6f8}
.views,.cards{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}.cards figure{flex:0 1 auto;max-width:560px}.cards figure.wide{max-width:none}
figure{margin:8px 0;background:#fff;border:1px solid #ddd;padding:8px}figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12px;color:#444;margin-top:4px;max-width:1100px}
.warning{color:#a33}.banner{background:#fde8e4;border:1px solid #d55e00;padding:6px 10px;color:#7a2500}
.toggles label{margin-right:12px;font-size:13px}
#tooltip{position:fixed;pointer-events:none;background:rgba(20,20,20,.88);color:#fff;padding:5px 8px;border-radius:3px;font-size:12px;line-height:1.35;white-space:nowrap}figure.ecg svg{cursor:crosshair}figure.compare{max-width:1120px}
${['attribution', 'cluster-band', 'entropy-panel', 'waves'].map((k) => `body.hide-${k} svg .${k},body.hide-${k} svg .legend-${k}`).join(',')}{display:none}
`;

// Overlay switches (a class on <body> hides one kind of overlay in every chart), and a hover read-out of
// time, lead and TLC cluster per block from the chart's own attributes (the report holds no raw samples).
const JS = LOCATE_JS + String.raw`
document.querySelectorAll('input[data-toggle]').forEach(function (box) {
  box.addEventListener('change', function () { document.body.classList.toggle('hide-' + box.dataset.toggle, !box.checked); });
});
var tip = document.getElementById('tooltip');
document.querySelectorAll('figure.ecg > svg, figure.compare > svg').forEach(function (svg) {
  svg.addEventListener('mouseleave', function () { tip.hidden = true; });
  svg.addEventListener('mousemove', function (ev) {
    var l = ecgxLocate(ev, svg);
    if (!l) { tip.hidden = true; return; }
    var rows = ['<b>t = ' + (l.n / l.fs).toFixed(3) + ' s</b>', 'lead ' + l.lead];
    svg.querySelectorAll('g.cluster-band').forEach(function (band) {
      band.querySelectorAll('rect.cluster').forEach(function (r) {
        if (+r.dataset.from <= l.n && l.n < +r.dataset.to) rows.push(band.dataset.block + ': cluster c' + r.dataset.cluster);
      });
    });
    tip.innerHTML = rows.join('<br>');
    tip.dataset.sample = String(l.n);
    tip.hidden = false;
    tip.style.left = (ev.clientX + 14) + 'px'; tip.style.top = (ev.clientY + 14) + 'px';
  });
});
`;

/** The report's HTML text. */
export async function renderReportHtml(c: ReportContent, o: { title?: string } = {}): Promise<string> {
  const title = o.title ?? `ecgx report: ${c.run.task.name} on ${c.run.config.data.split('/').filter(Boolean).pop() ?? ''}`;
  const sections = [summarySection(c), metricsSection(c)];
  // An input-blind model makes every explanation below meaningless: say so before anything else.
  const blind = c.faithfulness?.wholeDeletion.warning;
  if (blind) sections.unshift(`<p class="warning banner" data-warning="insensitive">Warning: ${esc(blind)} (see <a href="#compare">Methods compared</a>).</p>`);
  const pv = await predictionViews(c);
  if (pv) sections.push(`<section id="predictions"><h2>Predictions</h2><div class="views">${pv}</div></section>`);
  if (c.tlc) sections.push(await tlcSection(c.tlc, c.run.task.classes, c.subject));
  if (c.store) sections.push(await storeSection(c.store));
  sections.push(gallerySection(c));
  const beats = classBeatsSection(c, REPORT_MIN_FONT_PX);
  if (beats) sections.push(beats);
  const cmp = comparisonSection(c);
  if (cmp) sections.push(cmp);
  const nav = [['summary', 'Model and data'], ['metrics', 'Metrics'], ...(pv ? [['predictions', 'Predictions']] : []), ...(c.tlc ? [['tlc', 'TLC']] : []), ...(c.store ? [['store', 'Store cohort']] : []), ['gallery', 'Examples'], ...(beats ? [['beats', 'Beats']] : []), ...(c.comparison ? [['compare', 'Methods compared']] : [])]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body class="hide-waves"><header><h1>${esc(title)}</h1><p>${c.subject === 'run' ? `Run ${esc(c.evaluation.dir)} · ${esc(c.run.task.task)} · ${c.evaluation.folds.length} fold(s)` : `Model ${esc(c.evaluation.dir)} · ${esc(c.run.task.task)} · ${esc(c.run.config.data)}`} · ecgx ${esc(c.run.versions['ecgx'] ?? '')}</p></header>
<nav>${nav}</nav><main>${sections.join('\n')}</main>
<div id="tooltip" hidden></div>
<script>${JS}</script></body></html>
`;
}

/** The report's table builder and style sheet, shared by other self-contained reports (the explainer benchmark's). */
export { table as htmlTable, CSS as REPORT_CSS };
