/**
 * Physiological edits of an ECG, the way a disease would change it, on its
 * delineated beats (wave intervals for all leads, '*': from annotations or
 * the delineator). Each edit acts on one part of every beat and leaves the
 * rest of the record bit for bit as it was: the R peaks (so the RR
 * intervals), and the waves it does not name.
 *
 * Within a wave, a lead's signal is split into a baseline (the line joining
 * the lead's values at the ends of the edited stretch) and the wave's
 * residual above it; the edits reshape the residual. Amplitude edits fade in
 * and out over a raised-cosine margin (20 ms, less where a neighbouring wave
 * is nearer), so the edited record stays smooth.
 *
 *   widen-qrs     +N ms: the QRS residual stretched in time about the R peak
 *                 (eating into the PR and ST segments, never into P or T; a
 *                 beat with too little room is widened as far as it allows)
 *   invert-t      fraction f: T residual times (1 - 2f) (1: mirrored, 0.5: flat)
 *   remove-p      fraction f: P residual times (1 - f)
 *   prolong-pr    +N ms: the P wave moved N ms earlier (not into the T before)
 *   st-elevation  +h mV from the J point: rises over 20 ms after the QRS ends,
 *                 holds to the T peak, returns to 0 at the T's end (injury current)
 *   scale-r       factor k: the QRS residual (R and S) times k
 *
 * Lead-wise edits (invert-t, st-elevation, scale-r) take leads: names, or a
 * territory (inferior II III aVF; anterior V1-V4; lateral I aVL V5 V6), or
 * all. Timing edits act on every lead.
 */
import type { Ecg, EvidenceInterval, EvidenceMask, EvidencePart, WaveInterval } from '../ecg.js';
import { deriveEcg } from '../preprocess/derive.js';
import { canonicalLead } from '../leads.js';
import { DataError, OptionError } from '../../util/errors.js';

export const ECG_EDITS = ['widen-qrs', 'invert-t', 'remove-p', 'prolong-pr', 'st-elevation', 'scale-r'] as const;
export type EcgEdit = (typeof ECG_EDITS)[number];

/** Leads facing each territory (as the synthetic generator's criteria). */
export const EDIT_TERRITORIES: Readonly<Record<string, readonly string[]>> = {
  inferior: ['II', 'III', 'aVF'],
  anterior: ['V1', 'V2', 'V3', 'V4'],
  lateral: ['I', 'aVL', 'V5', 'V6'],
};

/** What each edit's amount means, its range, and its natural default leads. */
export const EDIT_INFO: Readonly<Record<EcgEdit, { unit: string; min: number; max: number; part: EvidencePart; leads: 'all' | string }>> = {
  'widen-qrs': { unit: 'ms', min: 0, max: 200, part: 'QRS', leads: 'all' },
  'invert-t': { unit: 'fraction', min: 0, max: 1, part: 'T', leads: 'all' },
  'remove-p': { unit: 'fraction', min: 0, max: 1, part: 'P', leads: 'all' },
  'prolong-pr': { unit: 'ms', min: 0, max: 300, part: 'PR', leads: 'all' },
  'st-elevation': { unit: 'mV', min: -1, max: 1, part: 'ST', leads: 'anterior' },
  'scale-r': { unit: 'factor', min: 0, max: 5, part: 'QRS', leads: 'all' },
};

export interface EditSpec {
  edit: EcgEdit;
  /** ms, fraction, mV or factor (see EDIT_INFO). */
  amount: number;
  /** Lead-wise edits: lead names, a territory name or 'all' (default EDIT_INFO's). */
  leads?: readonly string[] | string;
}

export interface EditResult {
  ecg: Ecg;
  /** The samples the edit may change, per lead (part = the edited part). */
  region: EvidenceMask;
  /** Beats edited, and beats a timing edit could not fully give its amount (no room). */
  beats: number;
  limited: number;
}

interface Beat {
  qrs: WaveInterval;
  p?: WaveInterval;
  t?: WaveInterval;
  /** End of the previous beat's last wave (or -1), start of the next beat's first wave (or n). */
  prevEnd: number;
  nextStart: number;
}

/** Beats from fused waves: each QRS with the P before it and the T after it. */
export function beatsOf(waves: readonly WaveInterval[], n: number): Beat[] {
  const sorted = [...waves].sort((a, b) => a.onset - b.onset);
  const qrs = sorted.filter((w) => w.wave === 'QRS');
  return qrs.map((q, i) => {
    const prevQ = qrs[i - 1], nextQ = qrs[i + 1];
    const p = sorted.filter((w) => w.wave === 'P' && w.offset < q.onset && (!prevQ || w.onset > prevQ.offset)).pop();
    const t = sorted.find((w) => w.wave === 'T' && w.onset > q.offset && (!nextQ || w.offset < nextQ.onset));
    const first = p ?? q;
    const before = sorted.filter((w) => w.offset < first.onset).map((w) => w.offset);
    const last = t ?? q;
    const after = sorted.filter((w) => w.onset > last.offset && w !== p).map((w) => w.onset);
    return { qrs: q, ...(p ? { p } : {}), ...(t ? { t } : {}), prevEnd: before.length ? Math.max(...before) : -1, nextStart: after.length ? Math.min(...after) : n };
  });
}

function resolveLeads(ecg: Ecg, spec: EditSpec): number[] {
  const raw = spec.leads ?? EDIT_INFO[spec.edit].leads;
  const names = typeof raw === 'string' ? (raw === 'all' ? ecg.leads : EDIT_TERRITORIES[raw] ?? raw.split(',').map((s) => s.trim())) : raw;
  return names.map((name) => {
    const k = ecg.leads.indexOf(canonicalLead(name));
    if (k < 0) throw new OptionError('edit.leads', `record ${ecg.meta.recordId} has no lead '${name}' (leads: ${ecg.leads.join(' ')}; territories: ${Object.keys(EDIT_TERRITORIES).join(', ')}, or all)`);
    return k;
  });
}

/** Raised-cosine weight: 0 at `a`, 1 from `a + ramp` to `b - ramp`, 0 at `b`. */
function taper(t: number, a: number, b: number, rampIn: number, rampOut: number): number {
  if (t <= a || t >= b) return 0;
  if (rampIn > 0 && t < a + rampIn) return 0.5 - 0.5 * Math.cos((Math.PI * (t - a)) / rampIn);
  if (rampOut > 0 && t > b - rampOut) return 0.5 - 0.5 * Math.cos((Math.PI * (b - t)) / rampOut);
  return 1;
}

/**
 * Reshapes the residual of [w.onset, w.offset] (plus a margin that stays
 * clear of `lo`/`hi`, the neighbouring waves) in the given leads: y = x + g(w)·(x - line).
 */
function residualEdit(x: Float32Array, src: Float32Array, n: number, leads: number[], w: WaveInterval, lo: number, hi: number, margin: number, gain: number): [number, number] {
  const a = Math.max(lo + 1, w.onset - margin, 0), b = Math.min(hi - 1, w.offset + margin, n - 1);
  if (b - a < 2) return [a, a - 1];
  for (const l of leads) {
    const o = l * n, xa = src[o + a]!, xb = src[o + b]!;
    for (let t = a + 1; t < b; t++) {
      const line = xa + ((xb - xa) * (t - a)) / (b - a);
      x[o + t] = src[o + t]! + gain * taper(t, a, b, w.onset - a, b - w.offset) * (src[o + t]! - line);
    }
  }
  return [a + 1, b - 1];
}

/** Linear interpolation of row `o` of `src` at fractional sample u (clamped). */
function at(src: Float32Array, o: number, n: number, u: number): number {
  const i = Math.max(0, Math.min(n - 1, Math.floor(u)));
  const j = Math.min(n - 1, i + 1);
  return src[o + i]! + (src[o + j]! - src[o + i]!) * Math.max(0, Math.min(1, u - i));
}

/** Applies one edit to every delineated beat of `ecg`; `waves` are its waves for all leads ('*'). */
export function editEcg(ecg: Ecg, waves: readonly WaveInterval[], spec: EditSpec): EditResult {
  const info = EDIT_INFO[spec.edit];
  if (!info) throw new OptionError('edit', `expected one of ${ECG_EDITS.join(', ')}, got '${String(spec.edit)}'`);
  if (!(spec.amount >= info.min && spec.amount <= info.max)) throw new OptionError('edit.amount', `${spec.edit}: expected ${info.min} to ${info.max} (${info.unit}), got ${spec.amount}`);
  const n = ecg.nSamples, fs = ecg.fs;
  const beats = beatsOf(waves, n);
  if (beats.length === 0) throw new DataError(`record ${ecg.meta.recordId}: no QRS complex among its waves; nothing to edit`);
  const src = ecg.signal;
  const x = Float32Array.from(src);
  const all = ecg.leads.map((_, k) => k);
  const leads = info.leads === 'all' && spec.leads === undefined ? all : resolveLeads(ecg, spec);
  const margin = Math.max(1, Math.round(0.02 * fs));
  const spans: [number, number][] = [];
  let edited = 0, limited = 0;
  for (const beat of beats) {
    const { qrs, p, t } = beat;
    const qrsLo = p ? p.offset : beat.prevEnd, qrsHi = t ? t.onset : beat.nextStart;
    switch (spec.edit) {
      case 'remove-p':
        if (!p) continue;
        spans.push(residualEdit(x, src, n, leads, p, beat.prevEnd, qrs.onset, margin, -spec.amount));
        break;
      case 'invert-t':
        if (!t) continue;
        spans.push(residualEdit(x, src, n, leads, t, qrs.offset, beat.nextStart, margin, -2 * spec.amount));
        break;
      case 'scale-r':
        spans.push(residualEdit(x, src, n, leads, qrs, qrsLo, qrsHi, margin, spec.amount - 1));
        break;
      case 'st-elevation': {
        if (!t) continue;
        const j = qrs.offset, rise = Math.max(1, Math.round(0.02 * fs));
        const peak = t.peak ?? Math.round((t.onset + t.offset) / 2), end = Math.min(t.offset, n - 1);
        for (const l of leads) {
          for (let s = j + 1; s < end; s++) {
            const g = s < j + rise ? 0.5 - 0.5 * Math.cos((Math.PI * (s - j)) / rise) : s <= peak ? 1 : 0.5 + 0.5 * Math.cos((Math.PI * (s - peak)) / Math.max(1, end - peak));
            x[l * n + s] = src[l * n + s]! + spec.amount * g;
          }
        }
        spans.push([j + 1, end - 1]);
        break;
      }
      case 'widen-qrs': {
        // Stretch about the R peak by s = (d + N) / d, within the room the P and T leave.
        const R = qrs.peak ?? Math.round((qrs.onset + qrs.offset) / 2);
        const d = qrs.offset - qrs.onset;
        if (d < 2) continue;
        let s = (d + (spec.amount / 1000) * fs) / d;
        const roomBefore = R - qrsLo - 2, roomAfter = qrsHi - R - 2;
        const sMax = Math.max(1, Math.min(roomBefore / Math.max(1, R - qrs.onset), roomAfter / Math.max(1, qrs.offset - R)));
        if (s > sMax) (s = sMax), limited++;
        const on2 = Math.floor(R - s * (R - qrs.onset)), off2 = Math.ceil(R + s * (qrs.offset - R));
        for (const l of all) {
          const o = l * n, xa = src[o + qrs.onset]!, xb = src[o + qrs.offset]!;
          const base = (u: number): number => (u < qrs.onset || u > qrs.offset ? at(src, o, n, u) : xa + ((xb - xa) * (u - qrs.onset)) / d);
          const resid = (u: number): number => (u < qrs.onset || u > qrs.offset ? 0 : at(src, o, n, u) - base(u));
          for (let q = Math.max(0, on2); q <= Math.min(n - 1, off2); q++) x[o + q] = base(q) + resid(R + (q - R) / s);
        }
        spans.push([Math.max(0, on2), Math.min(n - 1, off2)]);
        break;
      }
      case 'prolong-pr': {
        if (!p) continue;
        let shift = (spec.amount / 1000) * fs;
        const room = p.onset - margin - beat.prevEnd - 1;
        if (shift > room) {
          if (shift > 0) limited++;
          shift = Math.max(0, room);
        }
        const a = p.onset, b = p.offset, dd = b - a;
        if (dd < 2 || shift <= 0) continue;
        const lo = Math.max(0, Math.floor(a - shift)), hi = b;
        for (const l of all) {
          const o = l * n, xa = src[o + a]!, xb = src[o + b]!;
          const line = (u: number): number => xa + ((xb - xa) * (u - a)) / dd;
          const resid = (u: number): number => (u <= a || u >= b ? 0 : at(src, o, n, u) - line(u));
          for (let q = lo; q <= hi; q++) {
            const baseQ = q > a && q < b ? line(q) : src[o + q]!;
            x[o + q] = baseQ + resid(q + shift);
          }
        }
        spans.push([lo, hi]);
        break;
      }
    }
    edited++;
  }
  const region: EvidenceMask = { codes: [spec.edit], leads: {} };
  const touched = spec.edit === 'widen-qrs' || spec.edit === 'prolong-pr' ? all : leads;
  for (const l of touched) {
    const list: EvidenceInterval[] = spans.filter(([a, b]) => b >= a).map(([a, b]) => ({ onset: a, offset: b, part: info.part }));
    if (list.length) region.leads[ecg.leads[l]!] = list;
  }
  const out = deriveEcg(ecg, { signal: x });
  if (ecg.evidence) out.evidence = ecg.evidence;
  return { ecg: out, region, beats: edited, limited };
}

/** Parses 'EDIT:A,B,C[@LEADS]' (amounts of a dose-response; LEADS a territory or lead names joined by '+'). */
export function parseEditDoses(text: string, field = '--edit'): { edit: EcgEdit; amounts: number[]; leads?: string | string[] } {
  const m = /^([a-z-]+):([^@]+)(?:@(.+))?$/.exec(text.trim());
  const edit = m?.[1] as EcgEdit | undefined;
  if (!m || !edit || !ECG_EDITS.includes(edit)) throw new OptionError(field, `expected EDIT:AMOUNT,AMOUNT,...[@LEADS] with EDIT one of ${ECG_EDITS.join(', ')} (e.g. widen-qrs:0,20,40,60), got '${text}'`);
  const info = EDIT_INFO[edit];
  const amounts = m[2]!.split(',').map((s) => Number(s.trim()));
  const bad = amounts.find((a) => !(a >= info.min && a <= info.max));
  if (bad !== undefined || amounts.length === 0) throw new OptionError(field, `${edit}: amounts must be ${info.min} to ${info.max} (${info.unit}), got '${m[2]}'`);
  const leads = m[3] === undefined ? undefined : EDIT_TERRITORIES[m[3]] || m[3] === 'all' ? m[3] : m[3].split('+').map((s) => s.trim());
  return { edit, amounts, ...(leads !== undefined ? { leads } : {}) };
}
