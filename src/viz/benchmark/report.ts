/**
 * The explainer benchmark's self-contained HTML report: leaderboard, score
 * views, the example ECG with its planted evidence, the shortcut trap,
 * stability under noise, what-if probes and beat summaries per class. Inline
 * CSS and SVG only (the training report's style sheet and Vega rendering);
 * no script, no request.
 */
import type { BenchmarkResult, LeaderRow } from '../../explain/benchmark/run.js';
import { REFERENCES, TLC_CLUSTER_ROW } from '../../explain/benchmark/run.js';
import { SKIPPED_METHODS } from '../../explain/benchmark/config.js';
import { BEAT_PHASES } from '../../explain/beats/beats.js';
import { noiseLabel } from '../../data/synth/noise-snr.js';
import { renderEcgSvg } from '../chart.js';
import type { EcgOverlays } from '../overlays.js';
import { renderBeatPanelSvg } from '../beats.js';
import { renderVegaSvg, type TopLevelSpec } from '../cohort/vega.js';
import { doseResponseSpec } from '../cohort/probes.js';
import { htmlTable as table, REPORT_CSS } from '../report/html.js';
import { esc } from '../svg.js';
import { classHeatSpec, methodOrder, scoreSpec, stabilitySpec, timeSpec, trapSpec } from './specs.js';

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '-');
const ci = (m: { mean: number; lo: number; hi: number }): string => (Number.isFinite(m.mean) ? `${m.mean.toFixed(3)} [${m.lo.toFixed(3)}, ${m.hi.toFixed(3)}]` : '-');
const ms = (v: number): string => (v > 0 ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '-');

async function figure(id: string, spec: TopLevelSpec, caption: string): Promise<string> {
  return `<figure class="cohort" id="${id}">${await renderVegaSvg(spec)}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** The leaderboard of one model as table rows (methods by mass accuracy, then the references). */
export function leaderRows(r: BenchmarkResult, model: string): string[][] {
  const order = methodOrder(r);
  return r.leaderboard.filter((x) => x.model === model).sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method)).map((x: LeaderRow) => [
    x.method, ci(x.summary.massAccuracy), x.method === REFERENCES.amplitude ? '-' : ci(x.gainOverAmplitude), f3(x.summary.rankAccuracy.mean), f3(x.summary.pointing.mean), ci(x.summary.auroc), ms(x.msPerEcg),
  ]);
}

export const LEADER_HEAD = ['method', 'mass accuracy [95% CI]', 'gain over |input| [95% CI]', 'rank accuracy', 'pointing', 'AUROC [95% CI]', 'ms / ECG'];

function setup(r: BenchmarkResult, command: string): string {
  const c = r.config;
  const rows = [
    ['command', command],
    ['data', `${c.n} synthetic 12-lead ECGs, 10 s at 100 Hz (PTB-XL cohort, seed ${c.seed}); fold 1 tested, fold 2 validated, folds 3-10 trained`],
    ['classes scored', `${c.classes.join(', ')}: ${c.perClass} test ECGs each (the first by id with the class's planted evidence), each explained for its class; NORM has no planted evidence and is not scored`],
    ['methods', `${c.methods.join(', ')}; options ${Object.entries(c.options).map(([m, o]) => `${m} ${Object.entries(o).map(([k, v]) => `${k}=${String(v)}`).join(',')}`).join('; ') || 'defaults'}`],
    ['TLC', `K = ${c.tlc.k}, fitted per model on ${c.tlc.fitEcgs} training ECGs; its map is the entropy of the deepest layer; '${TLC_CLUSTER_ROW}': the (layer, cluster) best at detecting the mask on one half of the ECGs, scored on the other half`],
    ['not scored', Object.entries(SKIPPED_METHODS).map(([m, why]) => `${m}: ${why}`).join('; ')],
    ['time', Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ') + ` (total ${Object.values(r.timings).reduce((a, b) => a + b, 0).toFixed(0)} s)`],
  ];
  return `<section id="setup"><h2>What was run</h2>${table(['', ''], rows, 'kv')}
<p>Scores, per ECG, on |attribution| over its 12 leads x 1000 samples against the class's evidence mask (where the disease changed the signal, from the generator's healthy twin; a time-only map such as Grad-CAM counts for every lead): <b>relevance mass accuracy</b>, the share of |attribution| inside the mask; <b>rank accuracy</b>, the share of the K most attributed samples inside it (K = the mask's size); <b>pointing</b>, whether the most attributed sample is inside it; <b>AUROC</b> of |attribution| as a detector of mask samples. Means with a 95% confidence interval (normal approximation) over the (ECG, class) pairs. Two references bound what the numbers mean: a <b>uniform map</b> scores the mask's time share; the input's own <b>|amplitude|</b> scores what a map that only follows the signal would: methods that multiply by the input (input x gradient, IG, DeepLIFT, LRP, ...) start from there, so their <i>gain over |input|</i> (paired per ECG) is what the model adds.</p></section>`;
}

function modelsSection(r: BenchmarkResult): string {
  const cls = ['NORM', ...r.config.classes.filter((c) => c !== 'NORM')];
  const rows = r.models.map((m) => [m.name, m.source, m.card, `${m.auroc.toFixed(3)} (${cls.map((c) => `${c} ${Number.isFinite(m.aurocPerClass[c] ?? NaN) ? m.aurocPerClass[c]!.toFixed(3) : '-'}`).join(', ')})`]);
  return `<section id="models"><h2>Models</h2>${table(['model', 'what it is', 'card', `test AUROC, macro (per class), ${r.models[0]?.testEcgs ?? 0} ECGs of fold 1`], rows)}</section>`;
}

async function leaderSection(r: BenchmarkResult): Promise<string> {
  const rank = r.ranking.map((x, i) => [String(i + 1), x.method, f3(x.massAccuracy), f3(x.auroc)]);
  let out = `<section id="leaderboard"><h2>Leaderboard</h2><p>Methods ranked by relevance mass accuracy, mean over the trained models (${r.models.filter((m) => m.kind !== 'untrained').map((m) => m.name).join(', ')}); the untrained control is listed on its own below. '${TLC_CLUSTER_ROW}' picks its cluster with half of the masks, so it is an upper bound for TLC and is not ranked.</p>`;
  out += table(['rank', 'method', 'mass accuracy (mean over trained models)', 'AUROC (mean over trained models)'], rank, 'num ranked');
  for (const m of r.models) out += `<h3>${esc(m.name)}${m.kind === 'untrained' ? ' (control: not trained)' : ''}</h3>` + table(LEADER_HEAD, leaderRows(r, m.name), 'num');
  out += `<div class="views">${await figure('view-mass', scoreSpec(r, 'massAccuracy', 'Relevance mass accuracy per method and model (mean, 95% CI)'), 'Share of |attribution| inside the planted evidence; diamonds: the references (uniform map = the mask\'s time share; |input| = the signal\'s own amplitude).')}`;
  out += await figure('view-auroc', scoreSpec(r, 'auroc', 'AUROC of |attribution| as a detector of evidence samples (mean, 95% CI)'), 'Chance is 0.5 (the uniform map).');
  out += await figure('view-class', classHeatSpec(r), 'Per class: which methods find which evidence (MI: Q waves and ST-T in the territory; STTC: ST-T; CD: the QRS of a block, the PR interval of 1AVB; HYP: the QRS voltage of the hypertrophied ventricle).');
  out += await figure('view-time', timeSpec(r), 'Measured while the machine was shared with other work; compare methods within one run.');
  return out + '</div></section>';
}

function exampleSection(r: BenchmarkResult): string {
  const ex = r.artifacts.example;
  if (!ex) return '';
  const e = ex.ecg, n = e.nSamples;
  // The lead with the most evidence.
  let lead = 0, most = -1;
  for (let l = 0; l < e.leads.length; l++) {
    let k = 0;
    for (let t = 0; t < n; t++) k += ex.mask[l * n + t]!;
    if (k > most) (most = k), (lead = l);
  }
  const strip = (title: string, overlays: EcgOverlays): string =>
    renderEcgSvg(e, { layout: '1x1', lead: e.leads[lead]!, overlays, title, width: 1100, rowHeightMm: 25, minFontPx: 12, labelChars: 7 });
  const charts = [strip(`record ${ex.id}: planted ${ex.cls} evidence (the mask)`, { attribution: { method: 'evidence mask', values: Float32Array.from(ex.mask), leads: e.leads.length, style: 'background', signed: false, scale: 1 } })];
  for (const a of ex.attributions) charts.push(strip(`${a.method} → ${ex.cls}`, { attribution: { method: a.method, target: ex.cls, values: a.values, leads: a.rows } }));
  return `<section id="example"><h2>One ECG, every method</h2><p>Test record ${esc(ex.id)} (${esc(ex.model)}), lead ${esc(e.leads[lead]!)} (the lead with the most planted evidence), explained for ${esc(ex.cls)}; the first strip shades the evidence mask, the others each method's map on its own colour scale (full colour at the 98th percentile of |value|). The trace is the model's input.</p>${charts.map((s) => `<figure class="compare">${s}</figure>`).join('')}</section>`;
}

async function trapSection(r: BenchmarkResult): Promise<string> {
  const t = r.trap;
  if (!t) return '';
  const rel = t.reliance;
  const relRows = [
    ['trained with the trap', f3(rel.trapModel.trapped), f3(rel.trapModel.untouched), f3(rel.trapModel.normWith), f3(rel.trapModel.normWithout)],
    ['trained without it', f3(rel.cleanModel.trapped), f3(rel.cleanModel.untouched), f3(rel.cleanModel.normWith), f3(rel.cleanModel.normWithout)],
  ];
  const rows = t.methods.map((m) => [m.method, f3(m.trap.mass), m.trap.enrichment.toFixed(1), f3(m.trap.pointing), f3(m.trap.auroc), m.clean.enrichment.toFixed(1), m.reveals ? 'yes' : 'no']);
  let out = `<section id="trap"><h2>Shortcut trap</h2><p>A second database, the same ECGs, with pacing-like spikes (one sample of +1.5 mV along a fixed dipole, then -0.35 of it; three per ECG) in ${(t.fraction * 100).toFixed(0)}% of the ${esc(t.label)} ECGs only; a model of the first architecture trained on it (test macro AUROC ${t.trapModel.auroc.toFixed(3)}). Does the model use the spikes, and does each method show it? Rule: ${esc(t.rule)}.</p>`;
  out += table([`mean P(${t.label})`, `trapped ${t.label} ECGs`, 'the same ECGs without spikes', 'NORM ECGs with spikes added', 'NORM ECGs'], relRows, 'num');
  out += table(['method', 'share on the artefact (trap model)', 'enrichment (trap model)', 'pointing', 'AUROC', 'enrichment (clean model)', 'reveals the shortcut'], rows, 'num');
  if (t.tlc) out += table(['TLC layer', 'largest cluster enrichment on the artefact (trap model)', '(clean model)', 'reveals'], t.tlc.map((x) => [x.layer, x.trap.toFixed(1), x.clean.toFixed(1), x.reveals ? 'yes' : 'no']), 'num');
  out += `<p>The artefact covers ${(100 * t.timeShare).toFixed(2)}% of the samples. A method that lights up the spikes as much for the clean model as for the trap model is reacting to their amplitude, not to the model's use of them.</p>`;
  return out + `<div class="views">${await figure('view-trap', trapSpec(r), 'Enrichment = share of |attribution| on the artefact / the artefact\'s share of the samples, mean over the trapped ECGs.')}</div></section>`;
}

async function stabilitySection(r: BenchmarkResult): Promise<string> {
  const s = r.stability;
  if (!s) return '';
  const conds = [...new Set(s.rows.map((x) => noiseLabel(x.noise)))];
  return `<section id="stability"><h2>Stability under ECG noise</h2><p>Each of ${s.rows[0]?.values.length ?? 0} test ECGs (${esc(s.model)}) explained again with recording noise of one kind at the stated SNR (${conds.join(', ')}; made per electrode as the generator's noise models and seen through the leads, added in mV before the model's own preprocessing), for the same class. Spearman rank correlation of |attribution| between the clean and the noisy ECG (1: the same ranking); for TLC also the adjusted Rand index of its cluster sequences.</p><div class="views">${await figure('view-stability', stabilitySpec(r), 'Mean over ECGs.')}</div></section>`;
}

async function probesSection(r: BenchmarkResult): Promise<string> {
  if (!r.probes?.length) return '';
  let out = `<section id="probes"><h2>What-if probes</h2><p>NORM test ECGs edited as a disease would, on their beats (ground-truth waves), each other wave and the R peaks unchanged: the QRS widened, the PR prolonged, T inverted, ST raised in the anterior leads, R scaled, P removed. Curves: the mean change of each class score as the edit grows.</p><div class="views">`;
  for (const p of r.probes) out += await figure(`view-dose-${p.model}`, doseResponseSpec(p.result, `Dose-response, ${p.model} (${p.result.ids.length} NORM ECGs)`), `Mean change of each class score of ${p.model}.`);
  out += '</div>';
  const withMass = r.probes.find((p) => p.result.mass.length);
  if (withMass) {
    const res = withMass.result;
    const head = ['method', ...res.doses.map((d) => `${d.edit} (${d.points[d.points.length - 1]!.amount} ${d.unit}) → ${d.target}`)];
    const rows = [...new Set(res.mass.map((x) => x.method))].map((m) => [m, ...res.doses.map((d) => f3(res.mass.find((x) => x.method === m && x.edit === d.edit)?.spearman ?? NaN))]);
    out += `<h3>Does attribution mass on the edited region predict the change? (${esc(withMass.model)})</h3><p>Per method and edit: Spearman rank correlation across the ECGs between the share of |attribution| (of the unedited ECG, for the class the edit should raise) on the samples the edit changes, and the change of that class's score at the largest magnitude. Positive: where a method puts more mass, the edit matters more.</p>` + table(head, rows, 'num');
  }
  return out + '</section>';
}

function beatsSection(r: BenchmarkResult): string {
  const b = r.artifacts.beats;
  if (!b.length) return '';
  let out = `<section id="beats"><h2>Beat-level summaries per class</h2><p>The scored ECGs of each class (${esc(b[0]!.model)}), their beats aligned on P onset, QRS onset, R, QRS offset and T offset and pooled: the median beat per lead, the ${esc(b[0]!.method)} attribution averaged per beat phase (each ECG's map normalised to its mean |value| first), TLC's most frequent cluster and mean entropy per phase. Tables: share of |attribution| by beat phase (PR: P offset to QRS onset; ST: QRS offset to T onset; TP: the rest), summed over leads per method, then by lead for ${esc(b[0]!.method)}.</p>`;
  for (const x of b) {
    const svg = renderBeatPanelSvg(x.summary, { map: x.method, target: x.cls, width: 1000, minFontPx: 12 });
    const pct = (v: number): string => (100 * v).toFixed(1);
    const methods = x.summary.shares.map((s) => [s.name, ...BEAT_PHASES.map((p) => pct(s.rows.reduce((a, row) => a + s.phase[row]![p], 0)))]);
    const mine = x.summary.shares.find((s) => s.name === x.method);
    const leads = mine ? mine.rows.map((row) => [row, ...BEAT_PHASES.map((p) => pct(mine.phase[row]![p]))]) : [];
    out += `<h3>${esc(x.cls)}: ${x.summary.beats} beats of ${x.summary.ecgs} ECGs</h3><figure class="compare">${svg}</figure><div class="cards">${table(['% of |attribution|', ...BEAT_PHASES], methods, 'num')}${leads.length ? table([`${x.method}, %`, ...BEAT_PHASES], leads, 'num') : ''}</div>`;
  }
  return out + '</section>';
}

/** The report's HTML text. */
export async function renderBenchmarkHtml(r: BenchmarkResult, o: { command: string; title?: string }): Promise<string> {
  const title = o.title ?? 'ecgx: which explanation is right? A ground-truth benchmark of ECG explainers';
  const sections = [setup(r, o.command), modelsSection(r), await leaderSection(r), exampleSection(r), await trapSection(r), await stabilitySection(r), await probesSection(r), beatsSection(r)].filter(Boolean);
  const nav = [['setup', 'Setup'], ['models', 'Models'], ['leaderboard', 'Leaderboard'], ['example', 'Example'], ['trap', 'Shortcut trap'], ['stability', 'Stability'], ['probes', 'What-if'], ['beats', 'Beats']]
    .filter(([id]) => sections.some((s) => s.includes(`id="${id}"`))).map(([id, label]) => `<a href="#${id}">${label}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${REPORT_CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p>${r.models.length} models · ${r.config.methods.length} methods · ${r.config.classes.length} classes · seed ${r.config.seed}</p></header>
<nav>${nav}</nav><main>${sections.join('\n')}</main></body></html>
`;
}
