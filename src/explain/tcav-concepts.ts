/**
 * Concept sets for TCAV, in the cardiologist's terms, drawn from a pool of
 * model-ready ECGs [n, leads, time]:
 * - label:NAME        pool ECGs whose labels include NAME (e.g. label:LBBB);
 * - measure:EXPR      pool ECGs whose delineated measurements satisfy EXPR:
 *                     qrs>120, pr>200, qt>450 (ms), hr<50 (bpm), axis<-30 (deg),
 *                     sokolow>3.5 (mV), or t-inversion:V1,V2,V3 (negative T in
 *                     every lead listed);
 * - edit:NAME         synthetic morphology edits of every pool ECG, on its
 *                     delineated waves: widen-qrs (each QRS stretched 1.6x about
 *                     its centre), invert-t (T mirrored about the line joining
 *                     its ends), st-elevation / st-depression (±0.2 mV from QRS
 *                     offset to T onset, ramped).
 * For label and measure concepts, the random pool is the other pool ECGs;
 * for edits, the unedited pool.
 */
import { makeEcg } from '../data/ecg.js';
import { measureEcg, type EcgFeatures } from '../data/synth/measure.js';
import { OptionError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import { delineateRow } from './ecg-features.js';

export const CONCEPT_EDITS = ['widen-qrs', 'invert-t', 'st-elevation', 'st-depression'] as const;
export type ConceptEdit = (typeof CONCEPT_EDITS)[number];

export interface ConceptSets {
  concept: NdArray;
  random: NdArray;
  /** What was selected or made, for run records. */
  description: string;
}

function rows(x: NdArray, which: readonly number[]): NdArray {
  const [, leads, time] = x.shape as [number, number, number];
  const per = leads * time;
  const out = new Float32Array(which.length * per);
  which.forEach((b, i) => out.set(x.data.subarray(b * per, (b + 1) * per), i * per));
  return { data: out, shape: [which.length, leads, time] };
}

/** Delineated measurements of pool ECG b (NaN fields where a wave was not found). */
export function measureRow(x: NdArray, b: number, fs: number, names: string[]): EcgFeatures | undefined {
  const [, leads, time] = x.shape as [number, number, number];
  const row = x.data.slice(b * leads * time, (b + 1) * leads * time);
  const { waves } = delineateRow(row, names, fs);
  if (!waves['*']?.some((w) => w.wave === 'QRS')) return undefined;
  return measureEcg(makeEcg({ signal: row, fs, leads: names, meta: { recordId: `pool ${b}` }, waves }));
}

const MEASURES: Record<string, (f: EcgFeatures) => number> = {
  qrs: (f) => f.qrsMs,
  pr: (f) => f.prMs,
  qt: (f) => f.qtMs,
  hr: (f) => f.hrBpm,
  axis: (f) => f.axisDeg,
  sokolow: (f) => f.sokolowLyonMv,
};

/** A measurement predicate from its text (see the module comment). */
export function measurePredicate(expr: string, field = 'tcav.concept'): (f: EcgFeatures) => boolean {
  const inv = /^t-inversion:(.+)$/.exec(expr);
  if (inv) {
    const leads = inv[1]!.split(',').map((s) => s.trim());
    return (f) => leads.every((l) => (f.leads[l]?.tMv ?? NaN) < 0);
  }
  const m = /^([a-z]+)\s*(<=|>=|<|>)\s*(-?[0-9.]+)$/.exec(expr);
  const get = m ? MEASURES[m[1]!] : undefined;
  if (!m || !get || !Number.isFinite(Number(m[3]))) throw new OptionError(field, `measure '${expr}': expected ${Object.keys(MEASURES).join('|')} with <, >, <= or >= and a number (e.g. qrs>120), or t-inversion:V1,V2,V3`);
  const v = Number(m[3]);
  const op = m[2]!;
  return (f) => {
    const q = get(f);
    return Number.isFinite(q) && (op === '<' ? q < v : op === '>' ? q > v : op === '<=' ? q <= v : q >= v);
  };
}

/** Edits one ECG [leads * time] in place along its fused waves. */
export function editRow(row: Float32Array, leads: number, time: number, fs: number, names: string[], edit: ConceptEdit): boolean {
  const { waves } = delineateRow(row, names, fs);
  const fused = waves['*'] ?? [];
  const qrs = fused.filter((w) => w.wave === 'QRS');
  if (qrs.length === 0) return false;
  const src = Float32Array.from(row);
  for (let l = 0; l < leads; l++) {
    const o = l * time;
    if (edit === 'widen-qrs') {
      for (const w of qrs) {
        const c = (w.onset + w.offset) / 2;
        const half = ((w.offset - w.onset) / 2) * 1.6 + 1;
        const s0 = Math.max(0, Math.floor(c - half));
        const s1 = Math.min(time - 1, Math.ceil(c + half));
        for (let t = s0; t <= s1; t++) {
          // Sample the original at c + (t - c) / 1.6, blended into the untouched signal over the outer fifth.
          const u = c + (t - c) / 1.6;
          const i0 = Math.max(0, Math.min(time - 1, Math.floor(u)));
          const i1 = Math.min(time - 1, i0 + 1);
          const v = src[o + i0]! + (src[o + i1]! - src[o + i0]!) * (u - i0);
          const edge = Math.min(t - s0, s1 - t) / Math.max(1, 0.2 * (s1 - s0));
          const k = Math.min(1, edge);
          row[o + t] = k * v + (1 - k) * src[o + t]!;
        }
      }
    } else if (edit === 'invert-t') {
      for (const w of fused.filter((q) => q.wave === 'T')) {
        const a = src[o + w.onset]!;
        const b = src[o + Math.min(time - 1, w.offset)]!;
        for (let t = w.onset; t <= Math.min(time - 1, w.offset); t++) {
          const base = a + ((b - a) * (t - w.onset)) / Math.max(1, w.offset - w.onset);
          row[o + t] = 2 * base - src[o + t]!;
        }
      }
    } else {
      const shift = edit === 'st-elevation' ? 0.2 : -0.2;
      for (const w of qrs) {
        const next = fused.find((q) => q.wave === 'T' && q.onset > w.offset);
        const end = next ? next.onset : Math.min(time - 1, w.offset + Math.round(0.12 * fs));
        const ramp = Math.max(1, Math.round(0.02 * fs));
        for (let t = w.offset; t <= end; t++) {
          const k = Math.min(1, (t - w.offset) / ramp, (end - t) / ramp + 0.0);
          row[o + t] = src[o + t]! + shift * Math.max(0, k);
        }
      }
    }
  }
  return true;
}

/** The concept and random sets of a spec over a pool (see the module comment). */
export function conceptSets(spec: string, pool: NdArray, o: { fs?: number; names: string[]; labels?: readonly (readonly string[])[] }, field = 'tcav.concept'): ConceptSets {
  const n = pool.shape[0]!;
  const [, leads, time] = pool.shape as [number, number, number];
  const split = (keep: (b: number) => boolean, what: string): ConceptSets => {
    const inside = Array.from({ length: n }, (_, b) => b).filter(keep);
    const outside = Array.from({ length: n }, (_, b) => b).filter((b) => !inside.includes(b));
    if (inside.length < 2) throw new OptionError(field, `${what}: ${inside.length} of the ${n} pool ECGs qualify; a concept needs at least 2`);
    if (outside.length < 2) throw new OptionError(field, `${what}: only ${outside.length} pool ECGs are left for random sets; give a larger pool`);
    return { concept: rows(pool, inside), random: rows(pool, outside), description: `${what}: ${inside.length} of ${n} pool ECGs` };
  };
  const [kind, arg] = [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)];
  if (kind === 'label') {
    if (!o.labels || o.labels.length !== n) throw new OptionError(field, `'${spec}' needs labels for each of the ${n} pool ECGs (poolLabels)`);
    return split((b) => o.labels![b]!.includes(arg), spec);
  }
  if (kind === 'measure') {
    if (!o.fs) throw new OptionError(field, `'${spec}' needs the sampling rate (fs) to delineate the pool`);
    const pred = measurePredicate(arg, field);
    return split((b) => {
      const f = measureRow(pool, b, o.fs!, o.names);
      return f !== undefined && pred(f);
    }, spec);
  }
  if (kind === 'edit') {
    if (!(CONCEPT_EDITS as readonly string[]).includes(arg)) throw new OptionError(field, `edit '${arg}': expected one of ${CONCEPT_EDITS.join(', ')}`);
    if (!o.fs) throw new OptionError(field, `'${spec}' needs the sampling rate (fs) to delineate the pool`);
    const per = leads * time;
    const edited = new Float32Array(pool.data);
    const done: number[] = [];
    for (let b = 0; b < n; b++) if (editRow(edited.subarray(b * per, (b + 1) * per), leads, time, o.fs, o.names, arg as ConceptEdit)) done.push(b);
    if (done.length < 2) throw new OptionError(field, `${spec}: the delineator found QRS complexes in only ${done.length} pool ECGs`);
    return { concept: rows({ data: edited, shape: pool.shape }, done), random: pool, description: `${spec}: ${done.length} of ${n} pool ECGs edited` };
  }
  throw new OptionError(field, `'${spec}': expected label:NAME, measure:EXPR, edit:NAME or an array of concept ECGs`);
}
