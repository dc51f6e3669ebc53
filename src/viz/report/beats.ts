/**
 * The training report's beat-level summaries per class: the gallery's ECGs of
 * each class (their beats pooled, aligned on P onset, QRS onset, R, QRS offset
 * and T offset), the median beat per lead with the gallery's attribution and
 * TLC per beat phase, and the attribution's share by lead and beat phase.
 */
import { beatSummary, BEAT_PHASES, type BeatSummaryInput } from '../../explain/beats/beats.js';
import { renderBeatPanelSvg } from '../beats.js';
import { esc } from '../svg.js';
import type { ReportContent } from './collect.js';

function shareTable(name: string, rows: string[], phase: Record<string, Record<string, number>>): string {
  const pct = (v: number): string => (100 * v).toFixed(1);
  const head = `<tr><th>${esc(name)}, % of |attribution|</th>${BEAT_PHASES.map((p) => `<th>${p}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr><td>${esc(r)}</td>${BEAT_PHASES.map((p) => `<td>${pct(phase[r]![p]!)}</td>`).join('')}</tr>`).join('');
  const total = rows.length > 1 ? `<tr><td><b>all leads</b></td>${BEAT_PHASES.map((p) => `<td><b>${pct(rows.reduce((a, r) => a + phase[r]![p]!, 0))}</b></td>`).join('')}</tr>` : '';
  return `<table class="num"><thead>${head}</thead><tbody>${body}${total}</tbody></table>`;
}

/** The section's HTML ('' when the gallery has no 12-lead ECG with beats). */
export function classBeatsSection(c: ReportContent, minFontPx = 12): string {
  const parts: string[] = [];
  for (const cls of [...new Set(c.gallery.map((g) => g.class))]) {
    const items = c.gallery.filter((g) => g.class === cls);
    const inputs: BeatSummaryInput[] = items.map((g) => {
      const a = g.overlays.attribution, band = g.overlays.clusters?.[g.overlays.clusters.length - 1];
      const ent = g.overlays.entropy?.find((e) => e.block === band?.block);
      return {
        ecg: g.ecg,
        ...(a ? { maps: [{ name: a.method, values: a.values, rows: a.leads }] } : {}),
        ...(band && ent ? { tlc: { layer: band.block, clusters: band.labels, entropy: ent.values, k: band.k } } : {}),
      };
    });
    let s;
    try {
      s = beatSummary(inputs);
    } catch {
      continue; // no whole beat (short records): nothing to summarise for this class
    }
    const units = c.card.preprocess.some((p) => p.op === 'zscore') ? 'z' : 'mV';
    const svg = renderBeatPanelSvg(s, { target: cls, width: 1000, minFontPx, units, title: `${cls}: median of ${s.beats} beats of ${s.ecgs} ECG${s.ecgs > 1 ? 's' : ''}` });
    const share = s.shares[0];
    parts.push(`<h3>${esc(cls)}</h3><figure class="beat-panel" data-class="${esc(cls)}">${svg}<figcaption>Records ${items.map((g) => esc(g.id)).join(', ')}; ${share ? `the ${esc(share.name)} attribution for ${esc(cls)} averaged per beat phase (each ECG's map divided by its mean |value|)` : 'no attribution'}${s.tlc ? `; TLC ${esc(s.tlc.layer)}: most frequent cluster and mean entropy per phase` : ''}.</figcaption></figure>${share ? shareTable(share.name, share.rows, share.phase) : ''}`);
  }
  if (!parts.length) return '';
  return `<section id="beats"><h2>Beat-level summaries per class</h2><p>The example ECGs of each class, their beats aligned on P onset, QRS onset, R, QRS offset and T offset (waves from the annotations, else the delineator): the median beat per lead, the attribution per beat phase, and its share by lead and phase (PR: P offset to QRS onset; ST: QRS offset to T onset; TP: the rest), over the whole records.</p>${parts.join('')}</section>`;
}
