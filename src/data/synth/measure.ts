/**
 * Measures the classic ECG features of a record from its global ('*') wave
 * annotations: intervals, axis, voltages, Q waves, ST level and T amplitude per
 * lead, as medians over beats. The generator checks its own labels with these
 * (see criteria.ts), and tests check the signals it writes with them.
 */
import type { Ecg, WaveInterval } from '../ecg.js';

export interface LeadFeatures {
  /** Depth of an initial negative QRS deflection (0 when the QRS starts upward), mV. */
  qDepthMv: number;
  /** Duration of that initial negative deflection, ms. */
  qDurMs: number;
  /** Largest positive QRS deflection, mV. */
  rMv: number;
  /** Largest negative QRS deflection, as a positive number, mV. */
  sMv: number;
  /** ST level 60 ms after the J point (QRS offset), mV. */
  stMv: number;
  /** Signed T amplitude at its largest absolute deflection, mV. */
  tMv: number;
  /** Net QRS area, mV·s. */
  qrsAreaMvS: number;
}

export interface EcgFeatures {
  fs: number;
  /** Beats measured (those with P?, QRS and T annotated). */
  beats: number;
  hrBpm: number;
  /** P onset to QRS onset, ms (NaN without P waves). */
  prMs: number;
  qrsMs: number;
  /** QRS onset to T offset, ms. */
  qtMs: number;
  /** Frontal QRS axis from net QRS areas of I and aVF, degrees (-180..180). */
  axisDeg: number;
  /** S(V1) + max(R(V5), R(V6)), mV. */
  sokolowLyonMv: number;
  leads: Record<string, LeadFeatures>;
}

const SIGNIFICANT_MV = 0.05;

function median(xs: number[]): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** Measures `ecg` (needs `ecg.waves['*']`). */
export function measureEcg(ecg: Ecg): EcgFeatures {
  const all = ecg.waves?.['*'];
  if (!all) throw new RangeError('measureEcg: the record has no global (*) wave annotations');
  const fs = ecg.fs, n = ecg.nSamples;
  const qrs = all.filter((w) => w.wave === 'QRS');
  const ps = all.filter((w) => w.wave === 'P');
  const ts = all.filter((w) => w.wave === 'T');
  const per: Record<string, Record<keyof LeadFeatures, number[]>> = {};
  for (const l of ecg.leads) per[l] = { qDepthMv: [], qDurMs: [], rMv: [], sMv: [], stMv: [], tMv: [], qrsAreaMvS: [] };
  const pr: number[] = [], qd: number[] = [], qt: number[] = [], rr: number[] = [];
  let beats = 0;
  for (let b = 0; b < qrs.length; b++) {
    const q = qrs[b]!;
    if (b > 0) rr.push((q.peak! - qrs[b - 1]!.peak!) / fs);
    // This beat's P: the last one ending before its QRS, after the previous QRS (none for an ectopic beat or in AF).
    const prevEnd = b > 0 ? qrs[b - 1]!.offset : -Infinity;
    const p: WaveInterval | undefined = ps.filter((w) => w.offset < q.onset && w.onset > prevEnd && q.onset - w.onset < 0.5 * fs).at(-1);
    const t: WaveInterval | undefined = ts.find((w) => w.peak! > q.offset && w.onset >= q.onset && w.peak! - q.offset < 0.5 * fs);
    if (!t) continue;
    beats++;
    if (p) pr.push(((q.onset - p.onset) / fs) * 1000);
    qd.push(((q.offset - q.onset) / fs) * 1000);
    qt.push(((t.offset - q.onset) / fs) * 1000);
    const j60 = Math.min(n - 1, q.offset + Math.round(0.06 * fs));
    ecg.leads.forEach((lead, li) => {
      const x = ecg.signal.subarray(li * n, (li + 1) * n);
      // Baseline: mean of the PR segment (P offset to QRS onset), else the sample before QRS onset.
      let base = x[Math.max(0, q.onset - 1)]!;
      if (p && q.onset - p.offset > 1) {
        let s = 0;
        for (let k = p.offset + 1; k < q.onset; k++) s += x[k]!;
        base = s / (q.onset - p.offset - 1);
      }
      let rMax = 0, sMax = 0, area = 0;
      for (let k = q.onset; k <= q.offset; k++) {
        const v = x[k]! - base;
        rMax = Math.max(rMax, v);
        sMax = Math.max(sMax, -v);
        area += v / fs;
      }
      let qDepth = 0, qDur = 0, k = q.onset;
      while (k <= q.offset && Math.abs(x[k]! - base) < SIGNIFICANT_MV) k++;
      if (k <= q.offset && x[k]! - base < 0) {
        let m = k;
        while (m <= q.offset && x[m]! - base < 0) {
          qDepth = Math.max(qDepth, base - x[m]!);
          m++;
        }
        qDur = ((m - q.onset) / fs) * 1000;
      }
      let tv = 0;
      for (let m = Math.max(t.onset, q.offset + 1); m <= t.offset; m++) if (Math.abs(x[m]! - base) > Math.abs(tv)) tv = x[m]! - base;
      const f = per[lead]!;
      f.qDepthMv.push(qDepth);
      f.qDurMs.push(qDur);
      f.rMv.push(rMax);
      f.sMv.push(sMax);
      f.stMv.push(x[j60]! - base);
      f.tMv.push(tv);
      f.qrsAreaMvS.push(area);
    });
  }
  const leads: Record<string, LeadFeatures> = {};
  for (const l of ecg.leads) {
    const f = per[l]!;
    leads[l] = {
      qDepthMv: median(f.qDepthMv), qDurMs: median(f.qDurMs), rMv: median(f.rMv), sMv: median(f.sMv),
      stMv: median(f.stMv), tMv: median(f.tMv), qrsAreaMvS: median(f.qrsAreaMvS),
    };
  }
  const li = leads['I'], lf = leads['aVF'];
  const axisDeg = li && lf ? (Math.atan2(lf.qrsAreaMvS, li.qrsAreaMvS) * 180) / Math.PI : NaN;
  const v1 = leads['V1'], v5 = leads['V5'], v6 = leads['V6'];
  const sokolowLyonMv = v1 && v5 && v6 ? v1.sMv + Math.max(v5.rMv, v6.rMv) : NaN;
  return {
    fs, beats, hrBpm: rr.length ? 60 / median(rr) : NaN, prMs: median(pr), qrsMs: median(qd), qtMs: median(qt),
    axisDeg, sokolowLyonMv, leads,
  };
}
