/**
 * Beats as sums of dipole components (Gaussian waves, as in McSharry et al. 2003
 * and its VCG extension), rendered into the 8 independent leads, with the
 * ground-truth P/QRS/T intervals of every beat and lead.
 *
 * Ground-truth definition (documented in the README):
 * - per lead, a wave's onset/offset are the first/last samples where the wave's
 *   own noise-free contribution to that lead reaches 5% of its largest absolute
 *   value in that lead (for a single Gaussian: centre ± 2.45 sigma);
 * - per lead, the peak is the sample of largest absolute deflection of the
 *   lead's noise-free signal (all waves summed, baseline 0) inside [onset, offset];
 * - `'*'` (global): earliest onset and latest offset over the 12 leads; peak at
 *   the largest spatial magnitude (sum of squares over the 12 leads) inside it;
 * - only waves whose global interval lies wholly inside the record are listed.
 */
import type { WaveAnnotations, WaveInterval, WaveKind } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { LEAD_VECTORS, type Vec3 } from './vcg.js';

/** What a component belongs to; 'ST' (injury/ischaemia current between J point and T) is not an annotated wave. */
export type ComponentWave = WaveKind | 'ST';

/** One dipole component of a beat, times in seconds relative to the R peak. */
export interface DipoleComponent {
  wave: ComponentWave;
  /** Gaussian: centre. Plateau: start (a logistic rise centred here). */
  t: number;
  /** Gaussian: standard deviation. Plateau: time constant of its logistic edges. */
  sigma: number;
  /** Plateau only: end (a logistic fall centred here). Absent for a Gaussian. */
  tEnd?: number;
  /** Dipole at the component's maximum, mV. */
  vec: Vec3;
}

/** One beat placed on the record's time axis. */
export interface PlacedBeat {
  /** R-peak time, s from the record's first sample. */
  rS: number;
  components: DipoleComponent[];
}

/** Fraction of a wave's peak contribution that bounds its onset and offset. */
export const WAVE_EDGE_FRACTION = 0.05;

/** Rows of the independent leads (I, II, V1..V6) within STANDARD_LEADS. */
export const INDEP_ROWS = [0, 1, 6, 7, 8, 9, 10, 11];
const WAVES: WaveKind[] = ['P', 'QRS', 'T'];

function shapeAt(c: DipoleComponent, dt: number): number {
  if (c.tEnd === undefined) {
    const z = (dt - c.t) / c.sigma;
    return Math.exp(-0.5 * z * z);
  }
  return 1 / (1 + Math.exp(-(dt - c.t) / c.sigma)) - 1 / (1 + Math.exp(-(dt - c.tEnd) / c.sigma));
}

function support(c: DipoleComponent): [number, number] {
  return c.tEnd === undefined ? [c.t - 4 * c.sigma, c.t + 4 * c.sigma] : [c.t - 8 * c.sigma, c.tEnd + 8 * c.sigma];
}

export interface RenderedBeats {
  /** Noise-free independent leads I, II, V1..V6 (8 rows of n samples), mV. */
  indep: Float64Array;
  waves: WaveAnnotations;
}

/**
 * Renders beats into `n` samples at `fs` Hz and annotates their waves. `base`
 * (8 rows of n samples, e.g. atrial fibrillatory waves) is signal the beats are
 * added onto; peaks are found on the sum.
 */
export function renderBeats(beats: readonly PlacedBeat[], fs: number, n: number, base?: Float64Array): RenderedBeats {
  const indep = base ?? new Float64Array(8 * n);
  const perLead: { wave: WaveKind; onset: number[]; offset: number[]; gOn: number; gOff: number }[] = [];
  for (const beat of beats) {
    for (const wave of [...WAVES, 'ST' as const]) {
      const comps = beat.components.filter((c) => c.wave === wave);
      if (comps.length === 0) continue;
      let lo = Infinity, hi = -Infinity;
      for (const c of comps) {
        const [a, b] = support(c);
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
      const k0 = Math.ceil((beat.rS + lo) * fs), k1 = Math.floor((beat.rS + hi) * fs);
      if (k1 < 0 || k0 > n - 1) continue; // wholly outside the record
      const len = k1 - k0 + 1;
      const contrib = new Float64Array(12 * len); // lead-major
      const proj = comps.map((c) => LEAD_VECTORS.map((lv) => lv[0] * c.vec[0] + lv[1] * c.vec[1] + lv[2] * c.vec[2]));
      for (let j = 0; j < len; j++) {
        const dt = (k0 + j) / fs - beat.rS;
        for (let ci = 0; ci < comps.length; ci++) {
          const g = shapeAt(comps[ci]!, dt);
          if (g === 0) continue;
          const p = proj[ci]!;
          for (let l = 0; l < 12; l++) contrib[l * len + j] += g * p[l]!;
        }
      }
      for (let r = 0; r < 8; r++) {
        const l = INDEP_ROWS[r]!;
        for (let j = Math.max(0, -k0); j < len && k0 + j < n; j++) indep[r * n + k0 + j] += contrib[l * len + j]!;
      }
      if (wave === 'ST') continue;
      const onset: number[] = [], offset: number[] = [];
      for (let l = 0; l < 12; l++) {
        let max = 0;
        for (let j = 0; j < len; j++) max = Math.max(max, Math.abs(contrib[l * len + j]!));
        const thr = WAVE_EDGE_FRACTION * max;
        let a = -1, b = -1;
        if (max > 0) {
          for (let j = 0; j < len; j++) if (Math.abs(contrib[l * len + j]!) >= thr) { a = j; break; }
          for (let j = len - 1; j >= 0; j--) if (Math.abs(contrib[l * len + j]!) >= thr) { b = j; break; }
        }
        onset.push(a < 0 ? NaN : k0 + a);
        offset.push(b < 0 ? NaN : k0 + b);
      }
      const gOn = Math.min(...onset.filter(Number.isFinite)), gOff = Math.max(...offset.filter(Number.isFinite));
      if (!(gOn >= 0 && gOff <= n - 1)) continue; // annotate only waves wholly inside the record
      perLead.push({ wave, onset, offset, gOn, gOff });
    }
  }
  return { indep, waves: annotate(perLead, indep, n) };
}

function annotate(found: { wave: WaveKind; onset: number[]; offset: number[]; gOn: number; gOff: number }[], indep: Float64Array, n: number): WaveAnnotations {
  const waves: WaveAnnotations = { '*': [] };
  for (const name of STANDARD_LEADS) waves[name] = [];
  found.sort((a, b) => a.gOn - b.gOn);
  const at = (l: number, t: number): number => leadValue(indep, n, l, t);
  for (const f of found) {
    let best = f.gOn, bestE = -1;
    for (let t = f.gOn; t <= f.gOff; t++) {
      let e = 0;
      for (let l = 0; l < 12; l++) e += at(l, t) ** 2;
      if (e > bestE) { bestE = e; best = t; }
    }
    waves['*']!.push({ wave: f.wave, onset: f.gOn, peak: best, offset: f.gOff });
    for (let l = 0; l < 12; l++) {
      const on = Number.isFinite(f.onset[l]!) ? f.onset[l]! : f.gOn;
      const off = Number.isFinite(f.offset[l]!) ? f.offset[l]! : f.gOff;
      let pk = on, pv = -1;
      for (let t = on; t <= off; t++) {
        const v = Math.abs(at(l, t));
        if (v > pv) { pv = v; pk = t; }
      }
      const iv: WaveInterval = { wave: f.wave, onset: on, peak: pk, offset: off };
      waves[STANDARD_LEADS[l]!]!.push(iv);
    }
  }
  return waves;
}

/** Value of standard lead `l` at sample t, from the independent leads (Einthoven/Goldberger for III, aVR, aVL, aVF). */
export function leadValue(indep: Float64Array, n: number, l: number, t: number): number {
  const i = indep[t]!, ii = indep[n + t]!;
  switch (l) {
    case 0: return i;
    case 1: return ii;
    case 2: return ii - i;
    case 3: return -(i + ii) / 2;
    case 4: return i - ii / 2;
    case 5: return ii - i / 2;
    default: return indep[(l - 4) * n + t]!;
  }
}
