/**
 * Cluster prototypes: for each cluster, the mean input waveform (per lead)
 * in a window centred on the middle of each of its segments, so that a
 * person can name the cluster ("QRS upstroke", "T wave", ...). Windows that
 * would cross the ECG's ends are left out.
 */
import { OptionError } from '../../util/errors.js';
import type { TlcExplanation } from './fit.js';

export interface ClusterPrototype {
  cluster: number;
  /** Segments averaged. */
  n: number;
  /** [leads][window] mean input, in the input's units (mV after preprocessing). */
  mean: number[][];
}

export interface GroupPrototypes {
  name: string;
  /** Window offsets from the segment centre, in samples: -half..half. */
  half: number;
  fs: number;
  clusters: ClusterPrototype[];
}

export class TlcPrototypes {
  private sums: Float64Array[][] = [];
  private counts: number[][] = [];
  private fs = 0;
  constructor(readonly names: readonly string[], readonly k: number, readonly leads: number, readonly half: number) {
    if (!Number.isInteger(half) || half < 0) throw new OptionError('prototype window', `expected a half-width >= 0 samples, got ${half}`);
    const w = 2 * half + 1;
    this.sums = names.map(() => Array.from({ length: k }, () => new Float64Array(leads * w)));
    this.counts = names.map(() => new Array<number>(k).fill(0));
  }

  /** Adds one ECG: its input signal [leads, T] (leads-major) and its explanation. */
  add(signal: ArrayLike<number>, e: TlcExplanation): void {
    const T = e.nSamples, w = 2 * this.half + 1;
    if (signal.length !== this.leads * T) throw new OptionError('signal', `expected ${this.leads} x ${T} samples, got ${signal.length}`);
    this.fs = e.fs;
    e.groups.forEach((g, gi) => {
      for (const s of g.segments) {
        const c = Math.floor((s.start + s.end - 1) / 2);
        if (c - this.half < 0 || c + this.half >= T) continue;
        const acc = this.sums[gi]![s.cluster]!;
        for (let l = 0; l < this.leads; l++) for (let u = 0; u < w; u++) acc[l * w + u]! += signal[l * T + c - this.half + u]!;
        this.counts[gi]![s.cluster]!++;
      }
    });
  }

  report(): GroupPrototypes[] {
    const w = 2 * this.half + 1;
    return this.names.map((name, gi) => ({
      name, half: this.half, fs: this.fs,
      clusters: this.sums[gi]!.map((acc, c) => {
        const n = this.counts[gi]![c]!;
        return { cluster: c, n, mean: Array.from({ length: this.leads }, (_, l) => Array.from(acc.subarray(l * w, (l + 1) * w), (v) => (n > 0 ? Number((v / n).toFixed(4)) : 0))) };
      }),
    }));
  }
}
