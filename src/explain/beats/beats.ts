/**
 * Beat-level summaries: clinicians read beats, not 10-second strips. The
 * beats of one ECG (or of several, pooled: a class) are aligned on their
 * phases and summarised on one template beat:
 *
 * - each beat is warped piecewise-linearly onto the template through its
 *   anchors (P onset, QRS onset, R peak, QRS offset, T offset; a beat
 *   without P or T keeps the others), the template's anchors being the
 *   median of the beats' anchors relative to their R peak;
 * - per lead, the median beat (median over beats at each template sample);
 * - per attribution map, the mean |attribution| at each template sample
 *   (each ECG's map divided by its own mean |a| first, so that pooled ECGs
 *   weigh alike);
 * - TLC: the most frequent cluster and the mean entropy at each sample;
 * - the share of |attribution| by beat phase (P, PR segment, QRS, ST segment,
 *   T, TP/rest) and lead, over the whole records.
 *
 * Beats whose window leaves the record, or whose QRS is more than 1.5 times
 * the median QRS (ectopic beats), are left out.
 */
import type { Ecg, WaveInterval } from '../../data/ecg.js';
import { ecgDelineate } from '../../delineate/delineate.js';
import { DataError } from '../../util/errors.js';

export const BEAT_PHASES = ['P', 'PR', 'QRS', 'ST', 'T', 'TP'] as const;
export type BeatPhase = (typeof BEAT_PHASES)[number];

export interface BeatMapInput {
  name: string;
  /** [rows, nSamples] at the ECG's rate, rows = its leads or 1; NaN: not seen. */
  values: ArrayLike<number>;
  rows: number;
}

export interface BeatSummaryInput {
  /** The signal summarised (its leads and rate are the maps' too). */
  ecg: Ecg;
  /** Waves for all leads (defaults: ecg.waves['*'], else the delineator's). */
  waves?: readonly WaveInterval[];
  maps?: readonly BeatMapInput[];
  /** TLC of one layer at input resolution. */
  tlc?: { layer: string; clusters: ArrayLike<number>; entropy: ArrayLike<number>; k: number };
}

export interface BeatSummary {
  fs: number;
  leads: string[];
  /** Template samples; R peak at `r`. */
  length: number;
  r: number;
  /** Template anchors (samples from the template's start; absent when no beat had the wave). */
  anchors: { pOn?: number; qrsOn: number; qrsOff: number; tOff?: number };
  /** Template waves for all leads (for drawing spans). */
  waves: WaveInterval[];
  /** Beats summarised, from how many ECGs. */
  beats: number;
  ecgs: number;
  /** [leads, length], mV (or the input's units). */
  median: Float32Array;
  maps: { name: string; rows: number; mean: Float32Array }[];
  tlc?: { layer: string; k: number; mode: Int32Array; entropy: Float32Array };
  /** Per map: share of |a| by lead (or 'all' for a time-only map) and phase; the table sums to 1. */
  shares: { name: string; rows: string[]; phase: Record<string, Record<BeatPhase, number>> }[];
}

interface BeatAnchors {
  start: number;
  pOn?: number;
  qrsOn: number;
  r: number;
  qrsOff: number;
  tOff?: number;
  end: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The beats of one ECG: each QRS with its P before and T after, and its R peak. */
function beatAnchors(waves: readonly WaveInterval[]): Omit<BeatAnchors, 'start' | 'end'>[] {
  const sorted = [...waves].sort((a, b) => a.onset - b.onset);
  const qrs = sorted.filter((w) => w.wave === 'QRS');
  return qrs.map((q, i) => {
    const prev = qrs[i - 1], next = qrs[i + 1];
    const p = sorted.filter((w) => w.wave === 'P' && w.offset < q.onset && (!prev || w.onset > prev.offset)).pop();
    const t = sorted.find((w) => w.wave === 'T' && w.onset > q.offset && (!next || w.offset < next.onset));
    return { qrsOn: q.onset, r: q.peak ?? Math.round((q.onset + q.offset) / 2), qrsOff: q.offset, ...(p ? { pOn: p.onset } : {}), ...(t ? { tOff: t.offset } : {}) };
  });
}

/** Phase of each sample of a record from its fused waves. */
export function phaseLabels(waves: readonly WaveInterval[], n: number): BeatPhase[] {
  const out: BeatPhase[] = Array<BeatPhase>(n).fill('TP');
  const sorted = [...waves].sort((a, b) => a.onset - b.onset);
  const set = (a: number, b: number, ph: BeatPhase): void => {
    for (let t = Math.max(0, a); t <= Math.min(n - 1, b); t++) out[t] = ph;
  };
  for (const [i, w] of sorted.entries()) {
    const next = sorted[i + 1];
    if (w.wave === 'P' && next?.wave === 'QRS') set(w.offset + 1, next.onset - 1, 'PR');
    if (w.wave === 'QRS' && next?.wave === 'T') set(w.offset + 1, next.onset - 1, 'ST');
  }
  for (const w of sorted) set(w.onset, w.offset, w.wave as BeatPhase);
  return out;
}

/** Linear interpolation of row `o` of x at fractional sample u (NaN outside). */
function sampleAt(x: ArrayLike<number>, o: number, n: number, u: number): number {
  if (!(u >= 0 && u <= n - 1)) return NaN;
  const i = Math.floor(u), j = Math.min(n - 1, i + 1), f = u - i;
  return x[o + i]! * (1 - f) + x[o + j]! * f;
}

/** Summarises the beats of one or more ECGs (same leads and rate) on one template beat. */
export function beatSummary(inputs: readonly BeatSummaryInput[]): BeatSummary {
  if (inputs.length === 0) throw new DataError('beat summary: no ECGs');
  const { fs, leads } = inputs[0]!.ecg;
  for (const i of inputs) if (i.ecg.fs !== fs || i.ecg.leads.join() !== leads.join()) throw new DataError(`beat summary: record ${i.ecg.meta.recordId} has other leads or another rate than ${inputs[0]!.ecg.meta.recordId}`);
  const perEcg = inputs.map((inp) => {
    const waves = inp.waves ?? inp.ecg.waves?.['*'] ?? ecgDelineate(inp.ecg).waves['*'] ?? [];
    return { inp, waves, beats: beatAnchors(waves) };
  });
  const all = perEcg.flatMap((e) => e.beats);
  if (all.length === 0) throw new DataError(`beat summary: no QRS complex in record(s) ${inputs.map((i) => i.ecg.meta.recordId).join(', ')}`);
  const qrsDur = median(all.map((b) => b.qrsOff - b.qrsOn));
  // Template anchors relative to R: medians over the beats that have each wave.
  const rel = (pick: (b: (typeof all)[number]) => number | undefined): number | undefined => {
    const v = all.map(pick).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  const pOnR = rel((b) => (b.pOn !== undefined ? b.pOn - b.r : undefined));
  const qrsOnR = rel((b) => b.qrsOn - b.r)!, qrsOffR = rel((b) => b.qrsOff - b.r)!;
  const tOffR = rel((b) => (b.tOff !== undefined ? b.tOff - b.r : undefined));
  const pre = Math.round((pOnR ?? qrsOnR - 0.16 * fs) - 0.08 * fs), post = Math.round((tOffR ?? qrsOffR + 0.3 * fs) + 0.08 * fs);
  const length = post - pre + 1, r = -pre;
  const tpl = { start: 0, ...(pOnR !== undefined ? { pOn: pOnR + r } : {}), qrsOn: qrsOnR + r, r, qrsOff: qrsOffR + r, ...(tOffR !== undefined ? { tOff: tOffR + r } : {}), end: length - 1 };
  const L = leads.length;
  const columns: number[][] = Array.from({ length: L * length }, () => []);
  const mapNames = inputs[0]!.maps?.map((m) => m.name) ?? [];
  const mapAcc = mapNames.map((name) => {
    const rows = inputs[0]!.maps!.find((m) => m.name === name)!.rows;
    return { name, rows, sum: new Float64Array(rows * length), count: new Float64Array(rows * length) };
  });
  const tlcCounts = inputs[0]!.tlc ? Array.from({ length }, () => new Map<number, number>()) : undefined;
  const tlcEnt = new Float64Array(length), tlcN = new Float64Array(length);
  let used = 0;
  for (const { inp, beats } of perEcg) {
    const n = inp.ecg.nSamples;
    const scales = (inp.maps ?? []).map((m) => {
      let s = 0, c = 0;
      for (let k = 0; k < m.rows * n; k++) {
        const v = Math.abs(m.values[k]!);
        if (Number.isFinite(v)) (s += v, c++);
      }
      return c && s > 0 ? c / s : 0;
    });
    for (const b of beats) {
      if (b.qrsOff - b.qrsOn > 1.5 * qrsDur) continue;
      // Anchor pairs (template -> beat), in order; missing waves are skipped.
      const pairs: [number, number][] = [[tpl.r, b.r], [tpl.qrsOn, b.qrsOn], [tpl.qrsOff, b.qrsOff]];
      if (tpl.pOn !== undefined && b.pOn !== undefined) pairs.push([tpl.pOn, b.pOn]);
      if (tpl.tOff !== undefined && b.tOff !== undefined) pairs.push([tpl.tOff, b.tOff]);
      pairs.sort((x, y) => x[0] - y[0]);
      const first = pairs[0]!, last = pairs[pairs.length - 1]!;
      const warp = (u: number): number => {
        if (u <= first[0]) return first[1] + (u - first[0]);
        if (u >= last[0]) return last[1] + (u - last[0]);
        let k = 0;
        while (pairs[k + 1]![0] < u) k++;
        const [a0, b0] = pairs[k]!, [a1, b1] = pairs[k + 1]!;
        return a1 === a0 ? b0 : b0 + ((b1 - b0) * (u - a0)) / (a1 - a0);
      };
      if (warp(0) < 0 || warp(length - 1) > n - 1) continue;
      used++;
      for (let u = 0; u < length; u++) {
        const s = warp(u);
        for (let l = 0; l < L; l++) {
          const v = sampleAt(inp.ecg.signal, l * n, n, s);
          if (Number.isFinite(v)) columns[l * length + u]!.push(v);
        }
        (inp.maps ?? []).forEach((m, mi) => {
          const acc = mapAcc.find((x) => x.name === m.name);
          if (!acc) return;
          for (let q = 0; q < m.rows; q++) {
            const v = Math.abs(sampleAt(m.values, q * n, n, s)) * scales[mi]!;
            if (Number.isFinite(v)) (acc.sum[q * length + u] += v, acc.count[q * length + u]++);
          }
        });
        if (inp.tlc && tlcCounts) {
          const near = Math.round(s);
          const c = inp.tlc.clusters[near]!;
          if (c >= 0) tlcCounts[u]!.set(c, (tlcCounts[u]!.get(c) ?? 0) + 1);
          const h = inp.tlc.entropy[near]!;
          if (Number.isFinite(h)) (tlcEnt[u] += h, tlcN[u]++);
        }
      }
    }
  }
  if (used === 0) throw new DataError(`beat summary: no whole beat in record(s) ${inputs.map((i) => i.ecg.meta.recordId).join(', ')} (each beat's window must lie inside its record)`);
  const med = new Float32Array(L * length).fill(NaN);
  columns.forEach((c, k) => c.length && (med[k] = median(c)));
  const waves: WaveInterval[] = [{ wave: 'QRS', onset: Math.round(tpl.qrsOn), peak: r, offset: Math.round(tpl.qrsOff) }];
  // The template's P offset and T onset: medians over the ECGs' own waves, relative to R.
  const fused = perEcg.flatMap(({ waves: ws, beats }) => beats.map((b) => {
    const p = ws.find((w) => w.wave === 'P' && w.onset === b.pOn), t = ws.find((w) => w.wave === 'T' && w.offset === b.tOff);
    return { pOff: p ? p.offset - b.r : undefined, tOn: t ? t.onset - b.r : undefined };
  }));
  const pOffs = fused.map((f) => f.pOff).filter((x): x is number => x !== undefined), tOns = fused.map((f) => f.tOn).filter((x): x is number => x !== undefined);
  if (tpl.pOn !== undefined && pOffs.length) waves.unshift({ wave: 'P', onset: Math.round(tpl.pOn), offset: Math.round(median(pOffs) + r) });
  if (tpl.tOff !== undefined && tOns.length) waves.push({ wave: 'T', onset: Math.round(median(tOns) + r), offset: Math.round(tpl.tOff) });
  const maps = mapAcc.map((a) => ({ name: a.name, rows: a.rows, mean: Float32Array.from(a.sum, (s, k) => (a.count[k]! ? s / a.count[k]! : NaN)) }));
  const tlc = inputs[0]!.tlc && tlcCounts
    ? {
      layer: inputs[0]!.tlc.layer, k: inputs[0]!.tlc.k,
      mode: Int32Array.from(tlcCounts, (m) => (m.size ? [...m.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]![0] : -1)),
      entropy: Float32Array.from(tlcEnt, (s, u) => (tlcN[u] ? s / tlcN[u]! : NaN)),
    }
    : undefined;
  return {
    fs, leads: [...leads], length, r,
    anchors: { ...(tpl.pOn !== undefined ? { pOn: tpl.pOn } : {}), qrsOn: tpl.qrsOn, qrsOff: tpl.qrsOff, ...(tpl.tOff !== undefined ? { tOff: tpl.tOff } : {}) },
    waves, beats: used, ecgs: inputs.length, median: med, maps, ...(tlc ? { tlc } : {}),
    shares: phaseShares(perEcg.map((e) => ({ inp: e.inp, waves: e.waves }))),
  };
}

/** Share of |a| by lead and beat phase over whole records (each ECG's map normalised to sum 1 first). */
function phaseShares(items: { inp: BeatSummaryInput; waves: readonly WaveInterval[] }[]): BeatSummary['shares'] {
  const names = items[0]!.inp.maps?.map((m) => m.name) ?? [];
  return names.map((name) => {
    const rows = items[0]!.inp.maps!.find((m) => m.name === name)!.rows;
    const rowNames = rows === 1 ? ['all'] : [...items[0]!.inp.ecg.leads];
    const acc = rowNames.map(() => Object.fromEntries(BEAT_PHASES.map((p) => [p, 0])) as Record<BeatPhase, number>);
    for (const { inp, waves } of items) {
      const m = inp.maps?.find((x) => x.name === name);
      if (!m) continue;
      const n = inp.ecg.nSamples;
      const ph = phaseLabels(waves, n);
      let total = 0;
      for (let k = 0; k < m.rows * n; k++) {
        const v = Math.abs(m.values[k]!);
        if (Number.isFinite(v)) total += v;
      }
      if (!(total > 0)) continue;
      for (let q = 0; q < m.rows; q++) {
        for (let t = 0; t < n; t++) {
          const v = Math.abs(m.values[q * n + t]!);
          if (Number.isFinite(v)) acc[q]![ph[t]!] += v / total / items.length;
        }
      }
    }
    return { name, rows: rowNames, phase: Object.fromEntries(rowNames.map((r, i) => [r, acc[i]!])) };
  });
}

/** A share table as Markdown: leads down, phases across (percent), with a total row. */
export function phaseSharesMarkdown(s: BeatSummary['shares'][number]): string {
  const lines = [`| ${s.name} | ${BEAT_PHASES.join(' | ')} | all |`, `|---|${BEAT_PHASES.map(() => '---|').join('')}---|`];
  const pct = (v: number): string => (100 * v).toFixed(1);
  for (const r of s.rows) {
    const row = s.phase[r]!;
    lines.push(`| ${r} | ${BEAT_PHASES.map((p) => pct(row[p])).join(' | ')} | ${pct(BEAT_PHASES.reduce((a, p) => a + row[p], 0))} |`);
  }
  if (s.rows.length > 1) lines.push(`| all leads | ${BEAT_PHASES.map((p) => pct(s.rows.reduce((a, r) => a + s.phase[r]![p], 0))).join(' | ')} | 100.0 |`);
  return lines.join('\n') + '\n';
}
