/**
 * TLC clusters against the cardiac waves over a cohort: per group, the
 * cluster x wave contingency (dominant wave, purity, NMI, ARI); the same
 * against a null where each ECG's wave labels are shifted circularly by half
 * its median beat (QRS onset to QRS onset), so QRS lands on the baseline; and
 * the mean entropy on wave boundaries vs inside waves.
 */
import type { WaveAnnotations } from '../../data/ecg.js';
import { OptionError } from '../../util/errors.js';
import { WaveAlignment, waveLabels, type AlignmentReport } from './alignment.js';
import type { TlcExplanation } from './fit.js';

export interface WaveStatsOptions {
  /** Samples within this many ms of a wave onset or offset are 'boundary' (default 20 ms, at least 1 sample). */
  boundaryMs?: number;
  /** Shift of the null when an ECG has fewer than two QRS complexes, seconds (default 0.25). */
  fallbackShiftS?: number;
}

export interface GroupWaveReport extends AlignmentReport {
  name: string;
  /** The same scores with each ECG's wave labels shifted by half a beat (chance level). */
  null: { nmi: number; purity: number; ari: number };
  /** Mean normalised entropy of samples on wave boundaries and inside P/QRS/T (away from boundaries). */
  entropyBoundary: number;
  entropyInside: number;
}

/** Half the median QRS-onset interval of a wave-label sequence, in samples (undefined with < 2 QRS). */
function halfBeat(labels: Uint8Array): number | undefined {
  const onsets: number[] = [];
  for (let t = 0; t < labels.length; t++) if (labels[t] === 2 && (t === 0 || labels[t - 1] !== 2)) onsets.push(t);
  if (onsets.length < 2) return undefined;
  const d = onsets.slice(1).map((v, i) => v - onsets[i]!).sort((a, b) => a - b);
  return Math.round(d[Math.floor(d.length / 2)]! / 2);
}

export class TlcWaveStats {
  private readonly real: WaveAlignment[];
  private readonly shifted: WaveAlignment[];
  private readonly hb: Float64Array;
  private readonly hi: Float64Array;
  private readonly nb: Float64Array;
  private readonly ni: Float64Array;
  private ecgs = 0;
  constructor(readonly names: readonly string[], readonly k: number, readonly opts: WaveStatsOptions = {}) {
    if (opts.boundaryMs !== undefined && !(opts.boundaryMs >= 0)) throw new OptionError('boundaryMs', `expected a number >= 0, got ${opts.boundaryMs}`);
    this.real = names.map(() => new WaveAlignment(k));
    this.shifted = names.map(() => new WaveAlignment(k));
    this.hb = new Float64Array(names.length);
    this.hi = new Float64Array(names.length);
    this.nb = new Float64Array(names.length);
    this.ni = new Float64Array(names.length);
  }

  /** Number of ECGs added. */
  get count(): number {
    return this.ecgs;
  }

  /** Adds one ECG's explanation with its wave intervals (at the explanation's rate). */
  add(expl: TlcExplanation, waves: WaveAnnotations): void {
    const n = expl.nSamples;
    const labels = waveLabels(waves, n);
    const shift = halfBeat(labels) ?? Math.round((this.opts.fallbackShiftS ?? 0.25) * expl.fs);
    const rolled = new Uint8Array(n);
    for (let t = 0; t < n; t++) rolled[(t + shift) % n] = labels[t]!;
    const w = Math.max(1, Math.round(((this.opts.boundaryMs ?? 20) * expl.fs) / 1000));
    const boundary = new Uint8Array(n);
    for (let t = 1; t < n; t++) {
      if (labels[t] === labels[t - 1]) continue;
      for (let u = Math.max(0, t - w); u < Math.min(n, t + w); u++) boundary[u] = 1;
    }
    expl.groups.forEach((g, i) => {
      this.real[i]!.add(g.sequence.labels, labels);
      this.shifted[i]!.add(g.sequence.labels, rolled);
      const h = g.sequence.entropy;
      for (let t = 0; t < n; t++) {
        if (boundary[t]) {
          this.hb[i]! += h[t]!;
          this.nb[i]! += 1;
        } else if (labels[t] !== 0) {
          this.hi[i]! += h[t]!;
          this.ni[i]! += 1;
        }
      }
    });
    this.ecgs++;
  }

  report(): GroupWaveReport[] {
    return this.names.map((name, i) => {
      const r = this.real[i]!.report(), s = this.shifted[i]!.report();
      return {
        name, ...r, null: { nmi: s.nmi, purity: s.purity, ari: s.ari },
        entropyBoundary: this.hb[i]! / this.nb[i]!, entropyInside: this.hi[i]! / this.ni[i]!,
      };
    });
  }
}
