/**
 * Channel standardisation: z = (x - mean) / sd with the mean and population
 * standard deviation of each coordinate on the fitting data. A coordinate that
 * is constant on the fitting data (sd below `minScale`) keeps scale 1, so it
 * maps to 0 instead of dividing by zero.
 */
import { OptionError } from '../../util/errors.js';
import { checkNumber, checkPoints, JsonReader, toNumbers, type Points } from './points.js';

export interface ScalerOptions {
  /** Subtract the mean (default true). */
  center?: boolean;
  /** Divide by the standard deviation (default true). */
  scale?: boolean;
  /** Standard deviations below this count as zero (default 1e-8). */
  minScale?: number;
}

export interface ScalerState {
  kind: 'tlc-scaler';
  mean: number[];
  scale: number[];
}

export class StandardScaler {
  readonly options: Required<ScalerOptions>;
  constructor(options: ScalerOptions = {}) {
    this.options = {
      center: options.center ?? true,
      scale: options.scale ?? true,
      minScale: checkNumber('minScale', options.minScale ?? 1e-8, 0, Infinity, true),
    };
  }

  fit(x: Points): FittedScaler {
    if (x.n < 1) throw new OptionError('points', 'expected at least one point to fit the scaler');
    checkPoints(x, 'points');
    const { n, d } = x;
    const mean = new Float64Array(d), m2 = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x.data[i * d + j]!;
    for (let j = 0; j < d; j++) mean[j]! /= n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const t = x.data[i * d + j]! - mean[j]!;
        m2[j]! += t * t;
      }
    }
    const scale = new Float64Array(d).fill(1);
    if (this.options.scale) {
      for (let j = 0; j < d; j++) {
        const sd = Math.sqrt(m2[j]! / n);
        scale[j] = sd > this.options.minScale ? sd : 1;
      }
    }
    if (!this.options.center) mean.fill(0);
    return new FittedScaler(mean, scale);
  }
}

export class FittedScaler {
  constructor(readonly mean: Float64Array, readonly scale: Float64Array) {}

  get d(): number {
    return this.mean.length;
  }

  transform(x: Points): Points {
    if (x.d !== this.d) throw new OptionError('points', `expected dimension ${this.d} (as fitted), got ${x.d}`);
    const out = new Float64Array(x.n * x.d);
    for (let i = 0; i < x.n; i++) {
      for (let j = 0; j < x.d; j++) out[i * x.d + j] = (x.data[i * x.d + j]! - this.mean[j]!) / this.scale[j]!;
    }
    return { data: out, n: x.n, d: x.d };
  }

  toJSON(): ScalerState {
    return { kind: 'tlc-scaler', mean: toNumbers(this.mean), scale: toNumbers(this.scale) };
  }

  static fromJSON(json: unknown, source = 'scaler state'): FittedScaler {
    const r = JsonReader.of(json, source, 'tlc-scaler');
    const mean = r.numbers('mean');
    const scale = r.numbers('scale', mean.length);
    return new FittedScaler(mean, scale);
  }
}
