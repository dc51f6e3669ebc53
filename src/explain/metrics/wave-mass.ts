/**
 * Where on the heartbeat an attribution puts its mass: the share of |a| in
 * P waves, QRS complexes, T waves and elsewhere, next to the share of time
 * each takes, so that 'enrichment' = mass share / time share (> 1: the
 * method favours that wave beyond its duration). Waves come from the ECG's
 * annotations (`Ecg.waves`): per lead when a row has its own, else '*'.
 */
import { DataError } from '../../util/errors.js';
import type { WaveAnnotations } from '../../data/ecg.js';

export const WAVE_REGIONS = ['P', 'QRS', 'T', 'other'] as const;
export type WaveRegion = (typeof WAVE_REGIONS)[number];

export interface WaveMass {
  /** Sum of |attribution| (or signed, with absolute=false) per region, over all rows. */
  mass: Record<WaveRegion, number>;
  massShare: Record<WaveRegion, number>;
  timeShare: Record<WaveRegion, number>;
  /** massShare / timeShare (NaN for a region of no duration). */
  enrichment: Record<WaveRegion, number>;
}

export interface WaveMassOptions {
  /** Lead names of the attribution rows (for per-lead annotations); a single row uses '*'. */
  leads?: readonly string[];
  /** Sample index in the attribution = round(annotation sample * scale) (e.g. model fs / record fs); default 1. */
  scale?: number;
  /** Use |a| (default true). */
  absolute?: boolean;
}

/** Region of each sample from wave intervals (inclusive onset..offset; QRS wins overlaps, then T, then P). */
export function waveLabels(waves: readonly { wave: 'P' | 'QRS' | 'T'; onset: number; offset: number }[], time: number, scale = 1): WaveRegion[] {
  const labels: WaveRegion[] = Array<WaveRegion>(time).fill('other');
  const rank: Record<WaveRegion, number> = { other: 0, P: 1, T: 2, QRS: 3 };
  for (const w of waves) {
    const lo = Math.max(0, Math.round(w.onset * scale));
    const hi = Math.min(time - 1, Math.round(w.offset * scale));
    for (let t = lo; t <= hi; t++) if (rank[w.wave] > rank[labels[t]!]) labels[t] = w.wave;
  }
  return labels;
}

/** Wave mass of one ECG's attribution `values` [rows, time] (rows = leads, or 1). */
export function waveMass(values: Float32Array, shape: readonly [number, number], waves: WaveAnnotations, opts: WaveMassOptions = {}): WaveMass {
  const [rows, time] = shape;
  if (values.length !== rows * time) throw new DataError(`wave mass: ${values.length} values for shape [${rows}, ${time}]`);
  const mass = { P: 0, QRS: 0, T: 0, other: 0 };
  const count = { P: 0, QRS: 0, T: 0, other: 0 };
  for (let r = 0; r < rows; r++) {
    const lead = rows === 1 ? '*' : opts.leads?.[r];
    const list = (lead !== undefined ? waves[lead] : undefined) ?? waves['*'];
    if (!list) throw new DataError(`wave mass: no wave annotations for ${lead !== undefined ? `lead ${lead}` : `row ${r}`} nor for all leads ('*')`);
    const labels = waveLabels(list, time, opts.scale ?? 1);
    for (let t = 0; t < time; t++) {
      const v = values[r * time + t]!;
      mass[labels[t]!] += opts.absolute === false ? v : Math.abs(v);
      count[labels[t]!]++;
    }
  }
  const totalMass = WAVE_REGIONS.reduce((s, k) => s + mass[k], 0);
  const total = rows * time;
  const massShare = {} as Record<WaveRegion, number>;
  const timeShare = {} as Record<WaveRegion, number>;
  const enrichment = {} as Record<WaveRegion, number>;
  for (const k of WAVE_REGIONS) {
    massShare[k] = totalMass === 0 ? 0 : mass[k] / totalMass;
    timeShare[k] = count[k] / total;
    enrichment[k] = count[k] === 0 ? NaN : massShare[k] / timeShare[k];
  }
  return { mass, massShare, timeShare, enrichment };
}
