/**
 * IIR filter design: Butterworth (any order, low/high/band-pass, band-stop)
 * and the second-order notch, returned as second-order sections.
 *
 * Butterworth follows the textbook route that scipy.signal.butter takes: analog
 * prototype poles on the unit circle, frequency transform at cut-offs
 * pre-warped with `2 fs tan(pi f / fs)` (so that the digital -3 dB points land
 * exactly on the requested cut-offs), bilinear transform, then poles and zeros
 * paired into sections.
 */
import { OptionError } from '../../util/errors.js';
import type { Sos, SosSection } from './sos.js';

export type FilterType = 'lowpass' | 'highpass' | 'bandpass' | 'bandstop';

const FILTER_TYPES: readonly FilterType[] = ['lowpass', 'highpass', 'bandpass', 'bandstop'];

/**
 * Digital Butterworth filter of `order` (as scipy: band-pass and band-stop
 * filters have 2*order poles). `cutoffHz` is one frequency for low/high-pass
 * and `[low, high]` for band-pass/band-stop, each in (0, fs/2).
 * Throws OptionError naming `order`, `cutoffHz`, `fs` or `type`.
 */
export function butterworth(order: number, cutoffHz: number | readonly [number, number], fs: number, type: FilterType): Sos {
  if (!FILTER_TYPES.includes(type)) throw new OptionError('type', `expected one of ${FILTER_TYPES.join(', ')}, got ${String(type)}`);
  if (!Number.isInteger(order) || order < 1 || order > 32) throw new OptionError('order', `expected an integer from 1 to 32, got ${order}`);
  checkFs(fs);
  const band = type === 'bandpass' || type === 'bandstop';
  const cut = typeof cutoffHz === 'number' ? [cutoffHz] : [...cutoffHz];
  if (cut.length !== (band ? 2 : 1)) {
    throw new OptionError('cutoffHz', band ? `a ${type} filter needs [low, high] in Hz, got ${fmt(cutoffHz)}` : `a ${type} filter needs one frequency in Hz, got ${fmt(cutoffHz)}`);
  }
  for (const c of cut) checkCutoff('cutoffHz', c, fs);
  if (band && !(cut[0]! < cut[1]!)) throw new OptionError('cutoffHz', `expected low < high, got [${cut.join(', ')}] Hz`);

  const warp = (f: number): number => 2 * fs * Math.tan((Math.PI * f) / fs);
  // Analog prototype: poles -exp(j*pi*m/(2N)), m = -N+1, -N+3, ..., N-1; no zeros; gain 1.
  const proto: C[] = [];
  for (let m = -order + 1; m < order; m += 2) proto.push(c(-Math.cos((Math.PI * m) / (2 * order)), -Math.sin((Math.PI * m) / (2 * order))));

  let z: C[] = [];
  let p: C[];
  let k = 1;
  if (type === 'lowpass') {
    const wo = warp(cut[0]!);
    p = proto.map((q) => scale(q, wo));
    k = wo ** order;
  } else if (type === 'highpass') {
    const wo = warp(cut[0]!);
    p = proto.map((q) => div(c(wo, 0), q));
    z = proto.map(() => c(0, 0));
    // k *= real(prod(-z_proto) / prod(-p_proto)), and prod(-p) = 1 for Butterworth.
    k = 1 / prod(proto.map(neg)).re;
  } else {
    const w1 = warp(cut[0]!), w2 = warp(cut[1]!);
    const bw = w2 - w1;
    const wo2 = w1 * w2;
    const split = (q: C): C[] => {
      const r = csqrt(sub(mul(q, q), c(wo2, 0)));
      return [add(q, r), sub(q, r)];
    };
    if (type === 'bandpass') {
      p = proto.flatMap((q) => split(scale(q, bw / 2)));
      z = proto.map(() => c(0, 0));
      k = bw ** order;
    } else {
      p = proto.flatMap((q) => split(div(c(bw / 2, 0), q)));
      const wo = Math.sqrt(wo2);
      z = proto.flatMap(() => [c(0, wo), c(0, -wo)]);
      k = 1 / prod(proto.map(neg)).re;
    }
  }
  return zpkToSos(...bilinear(z, p, k, fs));
}

/**
 * Second-order IIR notch at `f0Hz` with quality factor `q` (-3 dB bandwidth =
 * f0/q), unit gain far from f0 (scipy.signal.iirnotch). Zero-phase use
 * (sosfiltfilt) squares it: -6 dB at f0 +- f0/(2q).
 */
export function notchFilter(f0Hz: number, q: number, fs: number): Sos {
  checkFs(fs);
  checkCutoff('f0Hz', f0Hz, fs);
  if (!(Number.isFinite(q) && q > 0)) throw new OptionError('q', `expected a quality factor > 0, got ${q}`);
  const w0 = (2 * Math.PI * f0Hz) / fs;
  const bw = w0 / q;
  const beta = Math.tan(bw / 2); // for the -3 dB (1/sqrt 2) bandwidth definition
  const gain = 1 / (1 + beta);
  const cw = Math.cos(w0);
  return [[gain, -2 * gain * cw, gain, 1, -2 * gain * cw, 2 * gain - 1]];
}

function checkFs(fs: number): void {
  if (!(Number.isFinite(fs) && fs > 0)) throw new OptionError('fs', `expected a sampling rate > 0 Hz, got ${fs}`);
}

/** Cut-offs must lie strictly between 0 and the Nyquist frequency. */
export function checkCutoff(option: string, f: number, fs: number): void {
  if (!(Number.isFinite(f) && f > 0 && f < fs / 2)) {
    throw new OptionError(option, `expected a frequency between 0 and the Nyquist frequency ${fs / 2} Hz (exclusive) at fs = ${fs} Hz, got ${f}`);
  }
}

function fmt(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

// ---- complex arithmetic (design time only; not hot) ----

interface C {
  re: number;
  im: number;
}
const c = (re: number, im: number): C => ({ re, im });
const add = (a: C, b: C): C => c(a.re + b.re, a.im + b.im);
const sub = (a: C, b: C): C => c(a.re - b.re, a.im - b.im);
const neg = (a: C): C => c(-a.re, -a.im);
const scale = (a: C, s: number): C => c(a.re * s, a.im * s);
const mul = (a: C, b: C): C => c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
const abs = (a: C): number => Math.hypot(a.re, a.im);
function div(a: C, b: C): C {
  const d = b.re * b.re + b.im * b.im;
  return c((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}
function csqrt(a: C): C {
  const r = abs(a);
  const re = Math.sqrt((r + a.re) / 2);
  const im = Math.sqrt(Math.max(0, (r - a.re) / 2));
  return c(re, a.im < 0 ? -im : im);
}
function prod(xs: C[]): C {
  return xs.reduce(mul, c(1, 0));
}

/** Bilinear transform s -> 2 fs (z-1)/(z+1); zeros at infinity map to z = -1. */
function bilinear(z: C[], p: C[], k: number, fs: number): [C[], C[], number] {
  const fs2 = c(2 * fs, 0);
  const zd = z.map((q) => div(add(fs2, q), sub(fs2, q)));
  const pd = p.map((q) => div(add(fs2, q), sub(fs2, q)));
  while (zd.length < pd.length) zd.push(c(-1, 0));
  const kd = k * div(prod(z.map((q) => sub(fs2, q))), prod(p.map((q) => sub(fs2, q)))).re;
  return [zd, pd, kd];
}

/**
 * Pairs conjugate poles (and real poles two by two) into sections, gives each
 * pair the zeros nearest to it, and orders sections with the poles closest to
 * the unit circle last (the same strategy as scipy's zpk2sos 'nearest'), which
 * keeps intermediate signals small. The gain goes into the first section.
 */
function zpkToSos(zIn: C[], pIn: C[], k: number): Sos {
  const isReal = (q: C): boolean => Math.abs(q.im) <= 1e-12 * Math.max(1, abs(q));
  const realOf = (qs: C[]): C[] => qs.filter(isReal).map((q) => c(q.re, 0));
  const upper = (qs: C[]): C[] => qs.filter((q) => !isReal(q) && q.im > 0);
  const dist = (q: C): number => Math.abs(1 - abs(q));

  // Pole groups: conjugate pairs, and real poles paired by closeness to the circle.
  const groups: C[][] = upper(pIn).map((q) => [q, c(q.re, -q.im)]);
  const realP = realOf(pIn).sort((a, b) => dist(b) - dist(a));
  let lone: C | undefined;
  if (realP.length % 2 === 1) lone = realP.shift();
  for (let i = 0; i < realP.length; i += 2) groups.push([realP[i]!, realP[i + 1]!]);

  // Zero pool: conjugate pairs kept together.
  const zeros: C[] = [...realOf(zIn), ...upper(zIn)];
  const takeNearest = (to: C, realOnly: boolean): C | undefined => {
    let best = -1;
    for (let i = 0; i < zeros.length; i++) {
      if (realOnly && !isReal(zeros[i]!)) continue;
      if (best < 0 || abs(sub(zeros[i]!, to)) < abs(sub(zeros[best]!, to))) best = i;
    }
    return best < 0 ? undefined : zeros.splice(best, 1)[0];
  };

  const sections: { poles: C[]; zeros: C[] }[] = [];
  if (lone) {
    const zr = takeNearest(lone, true);
    sections.push({ poles: [lone], zeros: zr ? [zr] : [] });
  }
  groups.sort((a, b) => dist(a[0]!) - dist(b[0]!)); // closest to the circle first: they choose zeros first
  for (const g of groups) {
    const z1 = takeNearest(g[0]!, false);
    const zs: C[] = [];
    if (z1 && !isReal(z1)) zs.push(z1, c(z1.re, -z1.im));
    else if (z1) {
      zs.push(z1);
      const z2 = takeNearest(g[0]!, true);
      if (z2) zs.push(z2);
    }
    sections.push({ poles: g, zeros: zs });
  }
  if (zeros.length > 0) throw new Error('zpkToSos: more zeros than poles');
  // Output order: farthest from the unit circle first.
  sections.sort((a, b) => dist(b.poles[0]!) - dist(a.poles[0]!));
  return sections.map((s, i): SosSection => {
    const [b0, b1, b2] = realPoly(s.zeros);
    const [, a1, a2] = realPoly(s.poles);
    const g = i === 0 ? k : 1;
    return [g * b0, g * b1, g * b2, 1, a1, a2];
  });
}

/** Coefficients [1, c1, c2] of prod (1 - r z^-1) over up to two roots closed under conjugation. */
function realPoly(roots: C[]): [number, number, number] {
  if (roots.length === 0) return [1, 0, 0];
  if (roots.length === 1) return [1, -roots[0]!.re, 0];
  const [r1, r2] = roots as [C, C];
  const pr = mul(r1, r2);
  return [1, -(r1.re + r2.re), pr.re];
}
